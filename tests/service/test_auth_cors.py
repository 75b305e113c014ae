"""Bearer-token access control and opt-in CORS."""

import pytest

from service import config
from tests.service.helpers import assert_problem

BODY = {"logits": [0.0, 1.0], "seed": 1}


@pytest.fixture
def locked(make_app):
    return make_app(API_TOKEN="s3cret-token").test_client()


def test_open_by_default(client):
    assert client.post("/sample", json=BODY).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong", "Bearer s3cret-tokenX", "Basic czNjcmV0LXRva2Vu", "s3cret-token",
     "Bearer ", "Bearer s3cret-toke"],
)
def test_token_required_when_set(locked, header):
    headers = {"Authorization": header} if header is not None else {}
    response = locked.post("/sample", json=BODY, headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_right_token_passes(locked):
    for scheme in ("Bearer", "bearer"):
        response = locked.post("/sample", json=BODY,
                               headers={"Authorization": f"{scheme} s3cret-token"})
        assert response.status_code == 200


def test_health_and_docs_stay_public(locked):
    assert locked.get("/healthz").status_code == 200
    assert locked.get("/openapi.json").status_code == 200
    assert locked.get("/docs").status_code == 200
    assert locked.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_unknown_paths_need_the_token_too(locked):
    assert_problem(locked.get("/nope"), 401)


def test_token_from_environment(monkeypatch, make_app):
    monkeypatch.setenv("LOGITLAB_API_TOKEN", "from-env")
    client = make_app().test_client()
    assert_problem(client.post("/sample", json=BODY), 401)
    ok = client.post("/sample", json=BODY, headers={"Authorization": "Bearer from-env"})
    assert ok.status_code == 200


def test_non_ascii_token_header_is_a_401(locked):
    response = locked.post("/sample", json=BODY, headers={"Authorization": "Bearer s3crét"})
    assert_problem(response, 401)


def test_cors_off_by_default(client):
    response = client.post("/sample", json=BODY, headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/sample", headers={"Origin": "https://example.org",
                                                   "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_only_configured_origins(make_app):
    client = make_app(CORS_ORIGINS="https://a.example, https://b.example",
                      API_TOKEN="t").test_client()
    preflight = client.options("/sample", headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://a.example"
    response = client.post("/sample", json=BODY, headers={"Origin": "https://b.example",
                                                          "Authorization": "Bearer t"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
    other = client.post("/sample", json=BODY, headers={"Origin": "https://evil.example",
                                                       "Authorization": "Bearer t"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_config_from_environment(monkeypatch):
    monkeypatch.setenv("LOGITLAB_MAX_VOCAB", "1000")
    monkeypatch.setenv("LOGITLAB_ENABLE_ECHO", "true")
    monkeypatch.setenv("LOGITLAB_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("LOGITLAB_DATABASE_URL", "sqlite://")
    settings = config.load({"MAX_BATCH": 3})
    assert settings["MAX_VOCAB"] == 1000 and settings["MAX_BATCH"] == 3
    assert settings["ENABLE_ECHO"] is True
    assert settings["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert settings["DATABASE_URL"] == "sqlite://"
    assert settings["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024


@pytest.mark.parametrize(("name", "value"), [("MAX_VOCAB", "lots"), ("MAX_N", "0"),
                                             ("ENABLE_ECHO", "perhaps")])
def test_bad_environment_values_fail_loudly(monkeypatch, name, value):
    monkeypatch.setenv(f"LOGITLAB_{name}", value)
    with pytest.raises(ValueError, match=f"LOGITLAB_{name}"):
        config.load()
