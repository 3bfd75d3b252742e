import json
from collections import Counter
from importlib.resources import files

import pytest

from dualpath.domain.municipalities import MUNICIPALITIES, REGIONS, municipality, region_for


def test_there_are_exactly_98_municipalities_with_unique_codes_and_names():
    assert len(MUNICIPALITIES) == 98
    assert len({m.code for m in MUNICIPALITIES}) == 98
    assert len({m.name for m in MUNICIPALITIES}) == 98
    assert all(len(m.code) == 3 and m.code.isdigit() for m in MUNICIPALITIES)


def test_five_regions_with_their_official_codes():
    assert REGIONS == {
        "1081": "Region Nordjylland",
        "1082": "Region Midtjylland",
        "1083": "Region Syddanmark",
        "1084": "Region Hovedstaden",
        "1085": "Region Sjælland",
    }
    assert {m.region for m in MUNICIPALITIES} == set(REGIONS)


def test_municipalities_per_region():
    counts = Counter(REGIONS[m.region] for m in MUNICIPALITIES)
    assert counts == {
        "Region Hovedstaden": 29,
        "Region Sjælland": 17,
        "Region Syddanmark": 22,
        "Region Midtjylland": 19,
        "Region Nordjylland": 11,
    }


@pytest.mark.parametrize(
    "code, name, region",
    [
        ("101", "København", "1084"),
        ("147", "Frederiksberg", "1084"),
        ("400", "Bornholm", "1084"),
        ("265", "Roskilde", "1085"),
        ("390", "Vordingborg", "1085"),
        ("461", "Odense", "1083"),
        ("492", "Ærø", "1083"),
        ("580", "Aabenraa", "1083"),
        ("751", "Aarhus", "1082"),
        ("615", "Horsens", "1082"),
        ("766", "Hedensted", "1082"),
        ("779", "Skive", "1082"),
        ("851", "Aalborg", "1081"),
        ("773", "Morsø", "1081"),
        ("787", "Thisted", "1081"),
        ("860", "Hjørring", "1081"),
    ],
)
def test_spot_checks(code, name, region):
    m = municipality(code)
    assert (m.code, m.name, m.region) == (code, name, region)
    assert region_for(code) == region


def test_christianso_is_not_a_municipality():
    with pytest.raises(ValueError):
        municipality("411")
    assert all(m.name != "Christiansø" for m in MUNICIPALITIES)


@pytest.mark.parametrize("bad", ["999", "0101", "1", "", "København"])
def test_unknown_code_says_what_to_use(bad):
    with pytest.raises(ValueError, match=r"use the official three-digit code, e.g. 101 \(København\)") as e:
        region_for(bad)
    assert repr(bad) in str(e.value)


def test_an_int_is_not_a_code():
    with pytest.raises(ValueError, match="unknown municipality code"):
        municipality(101)  # type: ignore[arg-type]


def test_data_file_records_its_source():
    doc = json.loads(files("dualpath.domain").joinpath("data/municipalities.json").read_text("utf-8"))
    assert doc["source"] == "Danmarks Statistik, kommunekoder"
