"""Fixtures for the deployment checks: the parsed compose file, Dockerfile and nginx.conf."""

from pathlib import Path

import crossplane
import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def compose() -> dict:
    with open(ROOT / "docker-compose.yml") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="session")
def dockerfile() -> list[dict]:
    """The Dockerfile's instructions (comments dropped), each {instruction, value, ...}."""
    parser = DockerfileParser(str(ROOT / "Dockerfile"), cache_content=True)
    return [item for item in parser.structure if item["instruction"] != "COMMENT"]


def _parse_nginx(strict: bool) -> dict:
    return crossplane.parse(str(ROOT / "deploy" / "nginx.conf"), check_ctx=True,
                            check_args=True, single=True, strict=strict)


@pytest.fixture(scope="session")
def nginx() -> list[dict]:
    """deploy/nginx.conf parsed by crossplane: contexts, arities and directive names checked."""
    result = _parse_nginx(strict=False)
    assert result["status"] == "ok", result["errors"]
    parsed = result["config"][0]["parsed"]
    # Strict mode also rejects unknown (misspelt) directives, but reads a map's key/value
    # pairs as directives too: those lines are the only unknowns allowed.
    map_lines = {entry["line"] for http in parsed if http["directive"] == "http"
                 for block in http["block"] if block["directive"] == "map"
                 for entry in block["block"]}
    unknown = [e for e in _parse_nginx(strict=True)["errors"] if e["line"] not in map_lines]
    assert not unknown, unknown
    return parsed
