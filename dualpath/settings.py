"""Settings, read once from the environment and a `.env` file.

Every knob an operator may turn lives here, so that docker-compose, the README
and the code agree on one list of names (a test checks docker-compose against
it).
"""

from __future__ import annotations

import base64
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dualpath.domain.transition import DEFAULT_STEP_DUE_DAYS

DEV_JWT_SECRET = "dualpath-development-secret-not-for-production"
# The development payload key: base64 of b"dualpath-dev-payload-key-NOT-PRD".
# Anyone with this source can read payloads encrypted with it; production refuses it.
DEV_PAYLOAD_KEY_ID = "development"
DEV_PAYLOAD_KEY = "ZHVhbHBhdGgtZGV2LXBheWxvYWQta2V5LU5PVC1QUkQ="


class RegionSettings(BaseModel):
    """The spec's [settings] a region may set for itself (DUALPATH_REGION_SETTINGS); unset, the national value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meeting_within_working_days: int | None = Field(default=None, ge=1, le=30)
    longer_admission_days: int | None = Field(default=None, ge=1)
    extra_closed_days: list[str] | None = None
    transition_step_due_days: dict[str, int] | None = None
    catalogue_version: str | None = None


class Regional(BaseModel):
    """The settings in force in one region: its own, else the national ones (`Settings.for_region`)."""

    model_config = ConfigDict(frozen=True)

    meeting_within_working_days: int
    longer_admission_days: int
    extra_closed_days: tuple[str, ...]
    transition_step_due_days: dict[str, int]
    catalogue_version: str


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DUALPATH_",
        env_file=".env",
        extra="ignore",
        # A validation error must not echo secrets (keys, JWT secret) into logs.
        hide_input_in_errors=True,
        # `Settings(database_url=…)` by the field's name, besides its environment names (as
        # pydantic-settings already did; said here so pydantic's mypy plugin accepts the alias).
        validate_by_name=True,
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path(".data")

    # Temporal: the embedded dev server by default; a cluster or Temporal Cloud
    # when `temporal_address` points elsewhere and `temporal_embedded` is off.
    temporal_embedded: bool = True
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    temporal_tls: bool = False
    temporal_tls_client_cert: Path | None = None
    temporal_tls_client_key: Path | None = None
    temporal_tls_server_ca: Path | None = None
    temporal_api_key: str | None = None
    task_queue: str = "dualpath"

    # PostgreSQL: DATABASE_URL when set, else an embedded server under data_dir.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "DUALPATH_DATABASE_URL")
    )

    # host:port where the worker serves Temporal SDK metrics for Prometheus; unset, none.
    worker_metrics_address: str | None = None
    # Running workflows the worker keeps in memory between their tasks (the SDK's default is 1,000). Each
    # cached pathway costs the worker about 170 KiB; one evicted is replayed from its history at its next
    # task (README, "Worker memory"). 0: none cached, every task replays.
    worker_max_cached_workflows: int = Field(default=2500, ge=0)
    # Share between the workflow sandboxes what holds no workflow state: dualpath's modules other than a
    # workflow's own (rules, contracts, messages, the other workflows' modules) are passed through instead of
    # imported afresh for every cached workflow, and a workflow module's code is compiled once (worker.py).
    worker_sandbox_sharing: bool = True

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Request bodies, checked before they are read (api/limits.py): 413 over the limit. The campaign
    # list upload (CSV) and the codec server take up to `max_upload_bytes`.
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=2_000_000, ge=1024)
    # The bearer token Prometheus scrapes /metrics with (ops tokens work too); unset or empty: ops tokens only.
    metrics_token: str | None = Field(default=None, repr=False)

    # Authentication: development tokens are signed with a local secret;
    # production validates tokens from an OIDC issuer's JWKS.
    jwt_secret: str = DEV_JWT_SECRET
    oidc_issuer: str | None = None
    oidc_audience: str = "dualpath"
    oidc_jwks_url: str | None = None

    # Target groups open for referral per region on their own timetable:
    # {"1084": {"3": "2026-09-01"}} overrides the national dates for a region.
    phase_in: dict[str, dict[int, date]] = {}

    # Working days (hverdage): Mon–Fri less Danish public holidays and these
    # extra closed days, as "MM-DD" (Grundlovsdag, Christmas Eve, New Year's Eve).
    extra_closed_days: list[str] = ["06-05", "12-24", "12-31"]
    # A meeting is held within this many working days of being called
    # (the Capital Region's agreement).
    meeting_within_working_days: int = Field(default=5, ge=1, le=30)

    # An admission of at least this many days ends with a network meeting;
    # a shorter one with at least a conversation about the transition.
    longer_admission_days: int = Field(default=7, ge=1)

    # A cross-sector transition's steps are due this many working days after each starts (seed 002: the
    # dialogue must not delay the transition); steps left out keep DEFAULT_STEP_DUE_DAYS.
    transition_step_due_days: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_STEP_DUE_DAYS))

    # The catalogue version new pathways follow (dualpath/domain/data/catalogue_<version>.json).
    catalogue_version: str = "v1"

    # Per region, any of the five settings above, e.g. {"1084": {"longer_admission_days": 10,
    # "extra_closed_days": ["06-05"]}}; what a region leaves out is the national value.
    region_settings: dict[str, RegionSettings] = {}

    # The coordinated course after integrated care (after a planned closure to coordinated treatment, or a
    # declined referral) is followed for `coordinated_follow_up_days`; its municipality checks in after
    # `coordinated_check_in_days` (before the period ends); each follow-up task is due `coordinated_task_days`
    # after it opens (workflows/coordinated_course.py).
    coordinated_follow_up_days: int = Field(default=180, ge=2, le=3650)
    coordinated_check_in_days: int = Field(default=90, ge=1, le=3649)
    coordinated_task_days: int = Field(default=14, ge=0, le=365)

    # Group-2 phase-in (seed 004): both lists shared at least this many days before the collaboration meeting.
    campaign_share_days_before_meeting: int = Field(default=14, ge=0, le=90)

    # FMK notices ("FMK changed for this patient"): POSTed to this URL, else recorded locally; seconds per attempt.
    fmk_notice_url: str | None = None
    fmk_notice_timeout: float = Field(default=10.0, gt=0, le=25)

    # Temporal payload encryption (AES-256-GCM, dualpath/codec.py): key id →
    # base64 of 32 bytes, as JSON in DUALPATH_PAYLOAD_KEYS. A region's key ids
    # start with its code and a dot ("1082.2026-01"); every other id is national.
    # New payloads of a region's workflows use the region's current key id
    # (`payload_key_ids`, JSON region → key id), those of workflows of no region
    # the current national key id (`payload_key_id`); the others stay listed to
    # decode older payloads. Development derives a key per region from the
    # development key ("1082.development") for every region not configured.
    payload_keys: dict[str, str] = Field(default={DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY}, repr=False)
    payload_key_id: str = DEV_PAYLOAD_KEY_ID
    payload_key_ids: dict[str, str] = {}

    # Token subjects of named support staff who may decode any one workflow's payloads through
    # the codec server with a stated reason (break-glass, logged); JSON list.
    break_glass_subjects: list[str] = []

    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _coordinated_check_in_within_the_period(self) -> Settings:
        if self.coordinated_check_in_days >= self.coordinated_follow_up_days:
            raise ValueError(
                f"DUALPATH_COORDINATED_CHECK_IN_DAYS ({self.coordinated_check_in_days}) must be fewer than "
                f"DUALPATH_COORDINATED_FOLLOW_UP_DAYS ({self.coordinated_follow_up_days}): the check-in falls "
                "within the follow-up period"
            )
        return self

    @model_validator(mode="after")
    def _region_settings_usable(self) -> Settings:
        from dualpath.domain.catalogue import load_catalogue
        from dualpath.domain.transition import step_due_days
        from dualpath.workflow_ids import REGIONS

        unknown = sorted(set(self.region_settings) - set(REGIONS))
        if unknown:
            raise ValueError(
                f"DUALPATH_REGION_SETTINGS names unknown region codes {', '.join(unknown)}; known: {', '.join(REGIONS)}"
            )
        for region in (None, *self.region_settings):
            r = self.for_region(region)
            where = f"region {region}" if region else "the national settings"
            try:
                load_catalogue(r.catalogue_version)
                step_due_days(r.transition_step_due_days)
                self.working_day_calendar(region)  # each extra closed day a real MM-DD
            except (ValueError, KeyError, FileNotFoundError) as exc:
                raise ValueError(f"{where}: {exc}") from None
        return self

    def for_region(self, region: str | None) -> Regional:
        """The settings in force in `region` (None: the national ones)."""
        own = self.region_settings.get(region or "", RegionSettings())
        return Regional(
            meeting_within_working_days=own.meeting_within_working_days or self.meeting_within_working_days,
            longer_admission_days=own.longer_admission_days or self.longer_admission_days,
            extra_closed_days=tuple(self.extra_closed_days if own.extra_closed_days is None else own.extra_closed_days),
            transition_step_due_days={**self.transition_step_due_days, **(own.transition_step_due_days or {})},
            catalogue_version=own.catalogue_version or self.catalogue_version,
        )

    @model_validator(mode="after")
    def _payload_keys_usable(self) -> Settings:
        from dualpath.codec import decode_key

        if not self.payload_keys:
            raise ValueError("DUALPATH_PAYLOAD_KEYS lists no key; give at least one (key id → base64 of 32 bytes)")
        for key_id, key in self.payload_keys.items():
            decode_key(key_id, key)  # raises a ValueError naming the id, never the key
        if self.payload_key_id not in self.payload_keys:
            raise ValueError(
                f"DUALPATH_PAYLOAD_KEY_ID {self.payload_key_id!r} is not among the ids in DUALPATH_PAYLOAD_KEYS "
                f"({', '.join(sorted(self.payload_keys))})"
            )
        from dualpath.codec import EncryptionCodec

        # The codec checks the rest (a region's ids name the region, the national id names none, …).
        EncryptionCodec.from_settings(self)
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            if self.oidc_issuer is None or self.oidc_jwks_url is None:
                raise ValueError(
                    "production needs DUALPATH_OIDC_ISSUER and DUALPATH_OIDC_JWKS_URL "
                    "(development tokens are refused there)"
                )
            if self.database_url is None:
                raise ValueError("production needs DATABASE_URL (no embedded PostgreSQL)")
            if any(base64.b64decode(k) in _development_keys() for k in self.payload_keys.values()):
                raise ValueError(
                    "production refuses the development payload key: set DUALPATH_PAYLOAD_KEYS (JSON, key id → "
                    "base64 of 32 random bytes) and DUALPATH_PAYLOAD_KEY_ID, without the development key"
                )
            from dualpath.workflow_ids import REGIONS

            missing = [r for r in REGIONS if r not in self.payload_key_ids]
            if missing:
                raise ValueError(
                    f"production needs a current payload key for every region: DUALPATH_PAYLOAD_KEY_IDS (JSON, region "
                    f'→ key id, e.g. {{"1082": "1082.2026-01"}}) names none for {", ".join(missing)}'
                )
        return self

    def payload_keyring(self) -> tuple[dict[str, bytes], str, dict[str, str]]:
        """The payload keys (id → raw bytes), the current national key id and each region's current key id;
        in development, with a derived development key for every region not configured."""
        from dualpath.codec import decode_key, derive_region_key
        from dualpath.workflow_ids import REGIONS

        keys = {key_id: decode_key(key_id, b64) for key_id, b64 in self.payload_keys.items()}
        regions = dict(self.payload_key_ids)
        if self.environment == "development":
            for region in REGIONS:
                dev_id = f"{region}.{DEV_PAYLOAD_KEY_ID}"
                keys.setdefault(dev_id, derive_region_key(base64.b64decode(DEV_PAYLOAD_KEY), region))
                regions.setdefault(region, dev_id)
        return keys, self.payload_key_id, regions

    def working_day_calendar(self, region: str | None = None):
        """Working days in `region` (its own extra closed days, else the national ones)."""
        from dualpath.domain.calendar import WorkingDayCalendar

        return WorkingDayCalendar(_month_day(d) for d in self.for_region(region).extra_closed_days)

    def phase_in_for(self, region: str):
        from dualpath.domain.referral_rules import DEFAULT_PHASE_IN, PhaseInCalendar

        return PhaseInCalendar(opening={**DEFAULT_PHASE_IN.opening, **self.phase_in.get(region, {})})

    @property
    def temporal_host(self) -> str:
        return self.temporal_address.rsplit(":", 1)[0]

    @property
    def temporal_port(self) -> int:
        return int(self.temporal_address.rsplit(":", 1)[1])


def _month_day(text: str) -> tuple[int, int]:
    """ "06-05" as (6, 5); the calendar checks that it is a real day."""
    match text.split("-"):
        case [month, day]:
            return int(month), int(day)
    raise ValueError(f"extra closed day {text!r} is not MM-DD, e.g. 06-05 for 5 June")


@lru_cache
def _development_keys() -> frozenset[bytes]:
    """The development key and the region keys derived from it: production refuses them all."""
    from dualpath.codec import derive_region_key
    from dualpath.workflow_ids import REGIONS

    dev = base64.b64decode(DEV_PAYLOAD_KEY)
    return frozenset({dev, *(derive_region_key(dev, r) for r in REGIONS)})


@lru_cache
def get_settings() -> Settings:
    return Settings()
