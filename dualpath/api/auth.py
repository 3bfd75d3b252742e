"""Bearer tokens: who the caller is, their role and their organisation.

Development tokens are HS256-signed with a local secret (`dualpath token`);
production validates tokens from an OIDC issuer against its JWKS (issuer,
audience, expiry; keys rotate by `kid`).
"""

from __future__ import annotations

import time
from enum import StrEnum
from functools import lru_cache

import jwt
from pydantic import BaseModel, ValidationError, field_validator

from dualpath.settings import Settings

DEV_ISSUER = "dualpath-dev"


class Role(StrEnum):
    clinician = "clinician"
    visitation = "visitation"
    municipality = "municipality"
    ops = "ops"


ORG_KIND_FOR_ROLE = {
    Role.clinician: "region",
    Role.visitation: "region",
    Role.municipality: "municipality",
    Role.ops: "ops",
}


class Staff(BaseModel):
    subject: str
    role: Role
    org: str  # "region:1084", "municipality:101", "ops:national"

    @field_validator("org")
    @classmethod
    def _org_form(cls, v: str) -> str:
        kind, _, code = v.partition(":")
        if kind not in ("region", "municipality", "ops") or not code:
            raise ValueError("org must be region:<code>, municipality:<code> or ops:<name>")
        return v

    @property
    def org_kind(self) -> str:
        return self.org.partition(":")[0]

    @property
    def org_code(self) -> str:
        return self.org.partition(":")[2]


class InvalidToken(Exception):
    pass


def issue_dev_token(settings: Settings, *, role: Role, org: str, subject: str, ttl_seconds: int = 12 * 3600) -> str:
    staff = Staff(subject=subject, role=role, org=org)
    if staff.org_kind != ORG_KIND_FOR_ROLE[role]:
        raise ValueError(f"role {role.value} belongs to a {ORG_KIND_FOR_ROLE[role]} organisation, not {org}")
    now = int(time.time())
    claims = {"sub": subject, "role": role.value, "org": org, "iss": DEV_ISSUER,
              "aud": settings.oidc_audience, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def verify(settings: Settings, token: str) -> Staff:
    try:
        if settings.oidc_jwks_url:
            key = _jwks_client(settings.oidc_jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=settings.oidc_audience,
                                issuer=settings.oidc_issuer, options={"require": ["exp", "sub"]})
        else:
            claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], audience=settings.oidc_audience,
                                issuer=DEV_ISSUER, options={"require": ["exp", "sub"]})
        return Staff(subject=claims["sub"], role=claims.get("role"), org=claims.get("org"))
    except ValidationError as exc:
        raise InvalidToken("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    except (jwt.PyJWTError, KeyError) as exc:
        raise InvalidToken(str(exc).splitlines()[0]) from exc
