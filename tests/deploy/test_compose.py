"""docker-compose.yml: the services, scaling, health, startup order, volumes and wiring."""

import re

import pytest
from sqlalchemy.engine import make_url

from runner.cli import main as logitlab_cli
from runner.loadtest.scenarios import BASELINE, SCENARIOS
from tests.deploy.helpers import ROOT, command_words, locust_commands, repo_path

SERVICES = {"api", "nginx", "postgres", "migrate", "dask-scheduler", "dask-worker", "sweep",
            "locust-master", "locust-worker"}
# Keys of a compose service this file may use (a subset of the Compose Specification).
SERVICE_KEYS = {"build", "image", "command", "entrypoint", "environment", "ports", "expose",
                "volumes", "depends_on", "healthcheck", "restart", "profiles", "deploy"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# Long-running services must say when they are healthy; depends_on waits on it.
HEALTHY = {"api", "nginx", "postgres", "dask-scheduler", "dask-worker", "locust-master"}
SCALED = {"api", "dask-worker", "locust-worker"}


def test_top_level(compose):
    assert set(compose) <= {"name", "services", "volumes", "networks"} | {
        key for key in compose if key.startswith("x-")}
    assert set(compose["services"]) == SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_keys_are_known(services, name):
    service = services[name]
    assert set(service) <= SERVICE_KEYS, set(service) - SERVICE_KEYS
    assert "image" in service or "build" in service
    assert "container_name" not in service  # a fixed name would forbid --scale


@pytest.mark.parametrize("name", sorted(SCALED))
def test_scaled_services_publish_no_fixed_host_port(services, name):
    assert "ports" not in services[name]  # N replicas cannot share one host port


def test_api_is_reached_only_through_nginx(services):
    api, nginx = services["api"], services["nginx"]
    assert [str(p) for p in api["expose"]] == ["8000"]
    assert command_words(api)[:2] == ["logitlab", "serve"]
    assert command_words(api)[command_words(api).index("--port") + 1] == "8000"
    assert nginx["ports"] == ["8000:80"]
    assert nginx["depends_on"]["api"]["condition"] == "service_healthy"
    (mount,) = nginx["volumes"]
    source, target, mode = mount.split(":")
    assert (ROOT / source).is_file() and target == "/etc/nginx/nginx.conf" and mode == "ro"


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_long_running_services_have_healthchecks(services, name):
    check = services[name]["healthcheck"]
    assert not check.get("disable")
    test = check["test"]
    assert test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1
    for value in ("interval", "timeout"):
        assert re.fullmatch(r"\d+(ms|s|m)", check[value])
    if test[0] == "CMD" and test[1] == "python":
        assert repo_path(test[2]).is_file()  # the image's /app/deploy/healthcheck.py


def test_depends_on_names_services_and_has_no_cycle(services):
    graph = {}
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: use the long form with a condition"
        for target, options in depends.items():
            assert target in services and options["condition"] in CONDITIONS
            if options["condition"] == "service_healthy":
                assert target in HEALTHY, f"{name} waits on {target}, which has no healthcheck"
        graph[name] = set(depends)
    seen: set = set()
    while len(seen) < len(graph):  # Kahn: every node must drain
        ready = {n for n, deps in graph.items() if n not in seen and deps <= seen}
        assert ready, f"depends_on cycle among {set(graph) - seen}"
        seen |= ready


def test_startup_order(services):
    api = services["api"]["depends_on"]
    assert api["postgres"]["condition"] == "service_healthy"
    assert api["migrate"]["condition"] == "service_completed_successfully"
    assert command_words(services["migrate"]) == ["logitlab", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    worker = services["dask-worker"]["depends_on"]
    assert worker["dask-scheduler"]["condition"] == "service_healthy"
    assert services["locust-worker"]["depends_on"]["locust-master"]["condition"] in CONDITIONS


def test_volumes(compose, services):
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), source
            else:
                used.add(source)
    assert used == declared
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_database_url_points_at_the_postgres_service(services):
    postgres = services["postgres"]["environment"]
    for name in ("api", "migrate", "sweep"):
        url = make_url(services[name]["environment"]["LOGITLAB_DATABASE_URL"])
        assert url.drivername == "postgresql+psycopg" and url.host == "postgres"
        assert (url.username, url.password, url.database) == (
            postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"])


def test_dask_wiring(services):
    scheduler = command_words(services["dask-scheduler"])
    assert scheduler[:2] == ["dask", "scheduler"]
    port = scheduler[scheduler.index("--port") + 1]
    worker = command_words(services["dask-worker"])
    assert worker[:3] == ["dask", "worker", f"tcp://dask-scheduler:{port}"]
    assert worker[worker.index("--nthreads") + 1] == "1"
    assert f"127.0.0.1:{port}:{port}" in services["dask-scheduler"]["ports"]


def test_locust_wiring(services):
    master = command_words(services["locust-master"])
    worker = command_words(services["locust-worker"])
    assert master[0] == worker[0] == "locust" and "--master" in master and "--worker" in worker
    locustfile = master[master.index("-f") + 1]
    assert worker[worker.index("-f") + 1] == locustfile and repo_path(locustfile).is_file()
    assert master[master.index("--host") + 1] == "http://nginx"  # load goes through nginx
    assert worker[worker.index("--master-host") + 1] == "locust-master"


def test_locust_runs_only_the_production_users(services):
    """Both locust services name the same user classes: every production scenario's, never
    the echo baseline's (POST /echo exists only with LOGITLAB_ENABLE_ECHO=1)."""
    master, worker = locust_commands(command_words(services["locust-master"]),
                                     command_words(services["locust-worker"]))
    named = master["user_classes"]
    assert named == worker["user_classes"] and len(set(named)) == len(named)
    assert set(named) <= set(master["defined"])  # each a runnable class of the locustfile
    production = {s.user_class for s in SCENARIOS.values() if s.name != BASELINE}
    assert set(named) == production
    echo = SCENARIOS[BASELINE].user_class
    assert echo == "EchoUser" and echo in master["defined"] and echo not in named
    assert "LOGITLAB_ENABLE_ECHO" not in services["api"]["environment"]


@pytest.mark.parametrize("name", ["api", "migrate", "sweep"])
def test_logitlab_commands_exist(services, name):
    words = command_words(services[name])
    assert words[0] == "logitlab" and words[1] in logitlab_cli.commands
