"""deploy/nginx.conf: one upstream over every api replica, re-resolved, with the service limits."""

from service import config
from tests.deploy.helpers import directives, only


def _http(nginx):
    return only(nginx, "http")["block"]


def test_upstream_resolves_every_api_replica(nginx, services):
    http = _http(nginx)
    resolver = only(http, "resolver")["args"]
    assert resolver[0] == "127.0.0.11"  # Docker's embedded DNS
    upstream = only(http, "upstream")
    assert upstream["args"] == ["api"]
    block = upstream["block"]
    assert only(block, "zone")["args"][0] == "api"  # `resolve` needs a shared zone
    port = services["api"]["expose"][0]
    assert only(block, "server")["args"] == [f"api:{port}", "resolve"]


def test_server_proxies_everything_to_the_upstream(nginx, services):
    (server,) = directives(_http(nginx), "server")
    block = server["block"]
    assert services["nginx"]["ports"] == [f"8000:{only(block, 'listen')['args'][0]}"]
    locations = {tuple(d["args"]): d["block"] for d in directives(block, "location")}
    assert only(locations[("/",)], "proxy_pass")["args"] == ["http://api"]
    health = locations[("=", "/nginx-health")]
    assert only(health, "return")["args"][0] == "200"
    test = services["nginx"]["healthcheck"]["test"]
    assert test[-1] == "http://127.0.0.1/nginx-health"


def _size(value: str) -> int:
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def test_limits_leave_the_service_in_charge(nginx, services):
    (server,) = directives(_http(nginx), "server")
    body = _size(only(server["block"], "client_max_body_size")["args"][0])
    # Bodies up to the service's own limit reach it, so it answers its problem+json 413.
    limit = services["api"]["environment"].get("LOGITLAB_MAX_CONTENT_LENGTH")
    assert body >= int(limit or config.DEFAULTS["MAX_CONTENT_LENGTH"])
    location = next(d for d in directives(server["block"], "location") if d["args"] == ["/"])
    read_timeout = only(location["block"], "proxy_read_timeout")["args"][0]
    assert int(read_timeout.removesuffix("s")) > 60  # logitlab serve --timeout 60


def test_request_ids_pass_through(nginx):
    http = _http(nginx)
    (request_map,) = directives(http, "map")
    assert request_map["args"] == ["$http_x_request_id", "$logitlab_request_id"]
    (server,) = directives(http, "server")
    location = next(d for d in directives(server["block"], "location") if d["args"] == ["/"])
    headers = {tuple(d["args"][:1]): d["args"][1] for d in
               directives(location["block"], "proxy_set_header")}
    assert headers[("X-Request-ID",)] == "$logitlab_request_id"
