"""Danish municipalities (kommuner) and the region that serves each.

No wrong door: a referral from any entry is routed to the visitation of the
region serving the patient's municipality, so this table decides where it goes.
"""

from __future__ import annotations

import json
from importlib.resources import files
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict

_DATA = json.loads(files(__package__).joinpath("data/municipalities.json").read_text("utf-8"))

SOURCE: str = _DATA["source"]
REGIONS: dict[str, str] = dict(_DATA["regions"])


class Municipality(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    region: str


_BY_CODE = MappingProxyType({m["code"]: Municipality(**m) for m in _DATA["municipalities"]})
MUNICIPALITIES: tuple[Municipality, ...] = tuple(_BY_CODE.values())


def municipality(code: str) -> Municipality:
    try:
        return _BY_CODE[code]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown municipality code {code!r}: use the official three-digit code, "
            "e.g. 101 (København), 751 (Aarhus) or 851 (Aalborg)"
        ) from None


def region_for(code: str) -> str:
    """The region code (e.g. '1084') serving the municipality."""
    return municipality(code).region
