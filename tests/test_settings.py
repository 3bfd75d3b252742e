import base64
import os
from datetime import date

import pytest
from pydantic import ValidationError

from dualpath.settings import Settings


def test_extra_closed_days_are_a_setting():
    default = Settings(_env_file=None).working_day_calendar()
    assert not default.is_working_day(date(2026, 12, 24))  # a Thursday, closed by default
    custom = Settings(_env_file=None, extra_closed_days=["06-05"]).working_day_calendar()
    assert custom.is_working_day(date(2026, 12, 24))
    assert not custom.is_working_day(date(2026, 6, 5))


def test_production_refuses_development_tokens_and_the_embedded_database():
    with pytest.raises(ValidationError, match="DUALPATH_OIDC_ISSUER"):
        Settings(_env_file=None, environment="production", database_url="postgresql://x/y")
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings(_env_file=None, environment="production", oidc_issuer="https://idp", oidc_jwks_url="https://idp/j")
    regions = {r: f"{r}.prod-1" for r in ("1081", "1082", "1083", "1084", "1085")}
    Settings(
        _env_file=None,
        environment="production",
        database_url="postgresql://x/y",
        oidc_issuer="https://idp",
        oidc_jwks_url="https://idp/jwks",
        payload_keys={k: base64.b64encode(os.urandom(32)).decode() for k in ("prod-1", *regions.values())},
        payload_key_id="prod-1",
        payload_key_ids=regions,
    )


def test_phase_in_dates_per_region_override_the_national_ones():
    s = Settings(_env_file=None, phase_in={"1084": {3: "2026-09-01"}})
    assert s.phase_in_for("1084").opens_on(3) == date(2026, 9, 1)
    assert s.phase_in_for("1081").opens_on(3) == date(2026, 7, 1)
    assert s.phase_in_for("1084").opens_on(1) == date(2024, 9, 1)


def test_each_setting_of_the_spec_may_differ_per_region_and_defaults_to_the_national_value():
    s = Settings(
        _env_file=None,
        longer_admission_days=8,
        region_settings={
            "1084": {
                "meeting_within_working_days": 3,
                "longer_admission_days": 10,
                "extra_closed_days": ["06-05"],
                "transition_step_due_days": {"assessment": 4},
            }
        },
    )
    own, national = s.for_region("1084"), s.for_region("1081")
    assert (own.meeting_within_working_days, own.longer_admission_days) == (3, 10)
    assert (national.meeting_within_working_days, national.longer_admission_days) == (5, 8)
    assert own.transition_step_due_days["assessment"] == 4
    assert own.transition_step_due_days["agreement"] == national.transition_step_due_days["agreement"]
    assert own.catalogue_version == national.catalogue_version == "v1"
    # Christmas Eve is a working day in 1084 only.
    assert s.working_day_calendar("1084").is_working_day(date(2026, 12, 24))
    assert not s.working_day_calendar("1081").is_working_day(date(2026, 12, 24))
    assert s.for_region(None) == national


@pytest.mark.parametrize(
    "given, complaint",
    [
        ({"9999": {"longer_admission_days": 3}}, "unknown region codes 9999"),
        ({"1084": {"catalogue_version": "v9"}}, "region 1084: unknown catalogue version 'v9'"),
        ({"1084": {"transition_step_due_days": {"teatime": 2}}}, "region 1084: transition_step_due_days"),
        ({"1084": {"extra_closed_days": ["31-12"]}}, "region 1084"),
        ({"1084": {"longer_admission_days": 0}}, "longer_admission_days"),
        ({"1084": {"hold_days": 3}}, "hold_days"),
    ],
)
def test_a_regions_settings_are_checked_when_read(given, complaint):
    with pytest.raises(ValidationError, match=complaint):
        Settings(_env_file=None, region_settings=given)


def test_the_workers_cache_and_sandbox_are_settings(monkeypatch):
    default = Settings(_env_file=None)
    assert default.worker_max_cached_workflows == 2500
    assert default.worker_sandbox_sharing is True
    monkeypatch.setenv("DUALPATH_WORKER_MAX_CACHED_WORKFLOWS", "300")
    monkeypatch.setenv("DUALPATH_WORKER_SANDBOX_SHARING", "false")
    s = Settings(_env_file=None)
    assert (s.worker_max_cached_workflows, s.worker_sandbox_sharing) == (300, False)
    with pytest.raises(ValidationError, match="worker_max_cached_workflows"):
        Settings(_env_file=None, worker_max_cached_workflows=-1)
