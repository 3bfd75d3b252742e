"""docker-compose.yml cannot be started here (no container engine): check what can be checked."""

import re
from pathlib import Path

import yaml

from dualpath import search_attributes as sa
from dualpath.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_production_services_are_all_there():
    assert {"postgresql", "temporal", "temporal-ui", "temporal-search-attributes", "worker", "api"} <= set(SERVICES)


def test_every_dependency_names_a_service():
    for name, service in SERVICES.items():
        for dep in service.get("depends_on", {}):
            assert dep in SERVICES, f"{name} depends on unknown service {dep}"


def test_images_are_pinned():
    for name, service in SERVICES.items():
        image = service.get("image")
        assert image, f"{name} has no image"
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name} image {image} is not pinned to a version"


def test_long_running_services_have_health_checks():
    for name in ("postgresql", "temporal", "api"):
        assert "healthcheck" in SERVICES[name], name


def test_the_environment_passed_is_what_the_settings_read():
    fields = Settings.model_fields
    known = {f"DUALPATH_{n.upper()}" for n in fields} | {"DATABASE_URL"}
    for name in ("worker", "api"):
        env = SERVICES[name]["environment"]
        unknown = set(env) - known
        assert not unknown, f"{name} passes settings the code does not read: {unknown}"
        assert env["DUALPATH_ENVIRONMENT"] == "production"
        assert env["DUALPATH_TEMPORAL_ADDRESS"].split(":")[0] == "temporal"


def test_the_registered_search_attributes_match_the_code():
    command = " ".join(SERVICES["temporal-search-attributes"]["command"])
    registered = dict(re.findall(r"(\w+)=(\w+)", command.split(";")[0]))
    flags = sa.cli_flags()[1::2]
    assert registered == dict(f.split("=") for f in flags)


def test_the_dockerfile_installs_the_package_and_runs_as_a_user():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-", text, re.M)
    assert "pip install" in text and "USER dualpath" in text
