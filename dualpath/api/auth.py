"""Bearer tokens: who the caller is, their role and their organisation.

Development tokens are HS256-signed with a local secret (`dualpath token`);
production validates tokens from an OIDC issuer against its JWKS (issuer,
audience, expiry; keys rotate by `kid`).
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from enum import StrEnum
from functools import lru_cache

import jwt
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from dualpath.settings import Settings

DEV_ISSUER = "dualpath-dev"


class Role(StrEnum):
    clinician = "clinician"
    visitation = "visitation"
    municipality = "municipality"
    ops = "ops"
    # A general practitioner (praktiserende læge): refers, and reads the answers to its practice's own
    # referrals — nothing else (the disclosure policy's route list, api/disclosure.py).
    gp = "gp"


ORG_KIND_FOR_ROLE = {
    Role.clinician: "region",
    Role.visitation: "region",
    Role.municipality: "municipality",
    Role.ops: "ops",
    Role.gp: "practice",
}

# A practice's provider number (ydernummer): six digits, as the regions' registers write it.
PROVIDER_NUMBER_DIGITS = 6


SUBJECT_MAX = 200


class Staff(BaseModel):
    subject: str
    role: Role
    org: str  # "region:1084", "municipality:101", "ops:national", "practice:123456"

    @field_validator("subject")
    @classmethod
    def _subject_form(cls, v: str) -> str:
        # The subject names the actor in events, the access log and idempotency keys:
        # it must say who, in printable text.
        if not v.strip():
            raise ValueError("the subject (sub) is empty: the token must name who is calling")
        if len(v) > SUBJECT_MAX:
            raise ValueError(f"the subject (sub) is longer than {SUBJECT_MAX} characters")
        if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in v):
            raise ValueError("the subject (sub) contains control or unprintable characters")
        return v

    @field_validator("org")
    @classmethod
    def _org_form(cls, v: str) -> str:
        kind, _, code = v.partition(":")
        if kind not in ("region", "municipality", "ops", "practice") or not code:
            raise ValueError("org must be region:<code>, municipality:<code>, ops:<name> or practice:<provider number>")
        if any(not c.isprintable() or c.isspace() for c in code):
            raise ValueError("org contains spaces, control or unprintable characters")
        if kind == "practice" and not (code.isascii() and code.isdigit() and len(code) == PROVIDER_NUMBER_DIGITS):
            raise ValueError(
                f"a practice is practice:<provider number>: the ydernummer, {PROVIDER_NUMBER_DIGITS} digits "
                "(e.g. practice:123456)"
            )
        return v

    @model_validator(mode="after")
    def _org_fits_role(self) -> Staff:
        if self.org_kind != ORG_KIND_FOR_ROLE[self.role]:
            raise ValueError(
                f"role {self.role.value} belongs to a {ORG_KIND_FOR_ROLE[self.role]} organisation, not {self.org}"
            )
        return self

    @property
    def org_kind(self) -> str:
        return self.org.partition(":")[0]

    @property
    def org_code(self) -> str:
        return self.org.partition(":")[2]


class InvalidToken(Exception):
    pass


def issue_dev_token(settings: Settings, *, role: Role, org: str, subject: str, ttl_seconds: int = 12 * 3600) -> str:
    Staff(subject=subject, role=role, org=org)  # raises ValueError (ValidationError) when they do not fit
    now = int(time.time())
    # A token id of its own: two sign-ins in the same second are two sessions (one can be signed out alone).
    claims = {
        "sub": subject,
        "role": role.value,
        "org": org,
        "iss": DEV_ISSUER,
        "aud": settings.oidc_audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def verify(settings: Settings, token: str) -> Staff:
    try:
        if settings.oidc_jwks_url:
            key = _jwks_client(settings.oidc_jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "ES256"],
                audience=settings.oidc_audience,
                issuer=settings.oidc_issuer,
                options={"require": ["exp", "sub"]},
            )
        else:
            claims = jwt.decode(
                token,
                settings.jwt_secret,
                algorithms=["HS256"],
                audience=settings.oidc_audience,
                issuer=DEV_ISSUER,
                options={"require": ["exp", "sub"]},
            )
        return Staff.model_validate({"subject": claims["sub"], "role": claims.get("role"), "org": claims.get("org")})
    except ValidationError as exc:
        raise InvalidToken("; ".join(_claim_error(e) for e in exc.errors())) from exc
    except (jwt.PyJWTError, KeyError) as exc:
        raise InvalidToken(str(exc).splitlines()[0]) from exc


def _claim_error(error) -> str:
    msg = error["msg"].removeprefix("Value error, ")
    loc = ".".join(map(str, error["loc"]))
    return f"{loc}: {msg}" if loc else msg
