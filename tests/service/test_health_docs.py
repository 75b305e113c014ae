"""GET /healthz, /openapi.json and /docs (local assets only), request ids and access logs."""

import json
import logging
import re

import pytest

from service import __version__
from tests.service.helpers import assert_problem


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": __version__}


def test_request_id_is_echoed_or_generated(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    fresh = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
    hostile = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert hostile.headers["X-Request-ID"] != "x" * 500
    assert re.fullmatch(r"app;dur=\d+\.\d{3}", fresh.headers["Server-Timing"])


def test_one_structured_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="logitlab.access"):
        client.post("/sample", json={"logits": [1.0, 2.0]}, headers={"X-Request-ID": "r-9"})
        client.post("/sample", data=b"{", content_type="application/json")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "logitlab.access"]
    assert len(lines) == 2
    first, second = lines
    assert {"method", "path", "status", "latency_ms", "request_id"} <= set(first)
    assert first["method"] == "POST" and first["path"] == "/sample"
    assert first["status"] == 200 and first["request_id"] == "r-9"
    assert first["latency_ms"] >= 0
    assert second["status"] == 400


def test_openapi_document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.0")
    assert spec["info"]["version"] == __version__
    operation = spec["paths"]["/sample"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/octet-stream", "application/x-npy",
                            "multipart/form-data"}
    assert set(content["multipart/form-data"]["encoding"]) == {"logits", "params"}
    for status in ("400", "413", "415", "422"):
        assert "application/problem+json" in json.dumps(operation["responses"][status]) or \
            operation["responses"][status]["$ref"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"temperature", "top_k", "seed", "vocab", "X-Logits-Shape"} <= names
    schemas = spec["components"]["schemas"]
    assert {"SampleRequest", "SampleResult", "Problem"} <= set(schemas)
    assert set(schemas["SampleResult"]["required"]) == {"tokens", "logprobs", "kept", "entropy",
                                                        "seed"}
    assert "logits" in schemas["SampleRequest"]["required"]
    assert schemas["SampleMultipart"]["required"] == ["logits"]
    assert "logits" not in schemas["SampleParams"]["properties"]
    error = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert list(error) == ["application/problem+json"]
    assert "/healthz" in spec["paths"]
    assert "/echo" not in spec["paths"]


def test_swagger_ui_uses_only_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/docs/assets/") for url in urls)
    assert "http://" not in html and "https://" not in html
    assert '"validatorUrl":null' in html.replace(" ", "")
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.data) > 1000
    assert_problem(client.get("/docs/assets/index.html"), 404)
    assert_problem(client.get("/docs/assets/../../etc/passwd"), 404)


def test_echo_only_when_enabled(client, make_app):
    assert_problem(client.post("/echo", data=b"x"), 404)
    echo = make_app(ENABLE_ECHO=True).test_client()
    response = echo.post("/echo", data=b'{"a": 1}', content_type="application/json")
    assert response.status_code == 200
    assert response.data == b'{"a": 1}' and response.mimetype == "application/json"


def test_bare_sample_bound_only_when_enabled_and_draws_the_likely_token(client, make_app):
    assert_problem(client.post("/echo/bare-sample", json={"logits": [0.0]}), 404)
    bench = make_app(ENABLE_ECHO=True).test_client()
    response = bench.post("/echo/bare-sample", json={"logits": [-50.0, 30.0, -50.0]})
    assert response.status_code == 200 and response.get_json() == {"tokens": [[1]]}
    for bad in (b"not json", b"{}", b'{"logits": []}', b'{"logits": ["a"]}', b"[1, 2]"):
        assert_problem(bench.post("/echo/bare-sample", data=bad,
                                  content_type="application/json"), 400)
    assert "/echo/bare-sample" not in make_app(ENABLE_ECHO=True).test_client().get(
        "/openapi.json").get_json()["paths"]


def test_in_process_benchmark_times_each_endpoint_and_refuses_errors():
    from runner.bench_service import in_process_us

    body = b'{"logits": [0.5, 1.5, -2.0], "seed": 3}'
    timings = in_process_us(body, ("/echo", "/sample"), rounds=2, calls=5)
    assert list(timings) == ["/echo", "/sample"]
    assert all(0 < value < 1e6 for value in timings.values())
    flushed = in_process_us(body, ("/sample",), rounds=1, calls=3, flush=True)
    assert list(flushed) == ["/sample"] and 0 < flushed["/sample"] < 1e6
    with pytest.raises(RuntimeError, match="422"):
        in_process_us(b'{"logits": [null, null]}', ("/sample",), rounds=1, calls=1)


def test_openapi_documents_the_bearer_token_when_one_is_set(client, make_app):
    spec = make_app(API_TOKEN="s3cret").test_client().get("/openapi.json").get_json()
    assert spec["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own parameters, not an operation
                continue
            if path == "/healthz":  # public, as /openapi.json and /docs
                assert "security" not in operation, (method, path)
            else:
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
    assert "security" not in spec
    # Without a token nothing is asked for, so nothing is documented.
    open_spec = client.get("/openapi.json").get_json()
    assert "securitySchemes" not in open_spec.get("components", {})
    assert not any("security" in operation for operations in open_spec["paths"].values()
                   for method, operation in operations.items() if method != "parameters")


def test_the_favicon_the_docs_page_asks_for_is_served_without_a_token(make_app):
    for client in (make_app().test_client(), make_app(API_TOKEN="s3cret").test_client()):
        response = client.get("/favicon.ico")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG")
