"""Tokens: development HS256 tokens, and production tokens checked against an OIDC issuer's JWKS."""

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dualpath.api import auth
from dualpath.api.auth import Role
from dualpath.infra.binaries import _script
from dualpath.infra.errors import SetupError
from dualpath.settings import Settings

ISSUER = "https://idp.region.test"


@pytest.fixture(scope="module")
def jwks():
    """A local JWKS endpoint with two keys, as an issuer mid-rotation has."""
    keys = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("old", "new")}
    body = json.dumps(
        {
            "keys": [
                {
                    **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key())),
                    "kid": kid,
                    "use": "sig",
                    "alg": "RS256",
                }
                for kid, k in keys.items()
            ]
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield keys, f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()


def _token(key, kid, **claims):
    base = {
        "sub": "staff-17",
        "role": "clinician",
        "org": "region:1084",
        "iss": ISSUER,
        "aud": "dualpath",
        "exp": int(time.time()) + 300,
    }
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": kid})


def _prod(url):
    return Settings(
        _env_file=None,
        environment="production",
        database_url="postgresql://x/y",
        oidc_issuer=ISSUER,
        oidc_jwks_url=url,
        payload_keys={
            k: base64.b64encode(os.urandom(32)).decode()
            for k in ("prod-1", *(f"{r}.prod-1" for r in ("1081", "1082", "1083", "1084", "1085")))
        },
        payload_key_id="prod-1",
        payload_key_ids={r: f"{r}.prod-1" for r in ("1081", "1082", "1083", "1084", "1085")},
    )


def test_a_production_token_is_checked_against_the_issuers_keys(jwks):
    keys, url = jwks
    settings = _prod(url)
    for kid in ("old", "new"):
        staff = auth.verify(settings, _token(keys[kid], kid))
        assert (staff.subject, staff.role, staff.org) == ("staff-17", Role.clinician, "region:1084")


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"iss": "https://elsewhere"}, "issuer"),
        ({"aud": "another-app"}, "(?i)audience"),
        ({"exp": 1}, "expired"),
        ({"role": "superuser"}, "role"),
    ],
)
def test_a_production_token_with_wrong_claims_is_refused(jwks, change, expected):
    keys, url = jwks
    with pytest.raises(auth.InvalidToken, match=expected):
        auth.verify(_prod(url), _token(keys["new"], "new", **change))


def test_a_development_token_is_refused_in_production(jwks):
    _, url = jwks
    dev = auth.issue_dev_token(Settings(_env_file=None), role=Role.clinician, org="region:1084", subject="x")
    with pytest.raises(auth.InvalidToken):
        auth.verify(_prod(url), dev)


def test_a_development_token_must_match_its_role_and_organisation_kind():
    with pytest.raises(ValueError, match="belongs to a municipality organisation"):
        auth.issue_dev_token(Settings(_env_file=None), role=Role.municipality, org="region:1084", subject="x")


def test_a_missing_binary_says_which_package_to_install():
    with pytest.raises(SetupError, match="install the PyPI package 'no-such-package'"):
        _script("no-such-binary", "no-such-package")
