"""Property-based API tests from /openapi.json: no 5xx, responses conform to the schema."""

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service import create_app

pytestmark = pytest.mark.slow

# .npy bodies are bytes on the wire, like application/octet-stream.
schemathesis.serializer.alias("application/x-npy", "application/octet-stream")

# The operations this suite owns; other resources' suites cover their own paths.
OWN_PATHS = r"^/(sample|healthz)$"

app = create_app({"TESTING": True})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(path_regex=OWN_PATHS)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def test_the_schema_covers_the_endpoints():
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert {"/sample", "/healthz"} <= paths


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms(case):
    case.call_and_validate(checks=CHECKS)


VALID_BODIES = [
    {"logits": [0.5, -1.0, 2.0]},
    {"logits": [[2.0, 1.0, None], [0.0, 0.1, 0.2]], "n": 3, "seed": [1, 2], "logprobs": 2,
     "return_probs": True, "trace": True, "temperature": [0.0, 0.8]},
    {"logits": [1.0, 2.0, 3.0, 4.0], "preset": "llama.cpp", "typical_p": 0.9, "top_n_sigma": 1.0,
     "xtc_probability": 0.5, "xtc_threshold": 0.1, "context": [1, 2, 2],
     "repetition_penalty": 1.2, "trace": True, "seed": 3},
    {"logits": [1.0, 2.0, 3.0], "preset": "hf", "min_p": 0.05, "logit_bias": {"0": 5},
     "frequency_penalty": 0.5, "presence_penalty": -0.5, "context": [0], "penalty_last_n": 1},
]


@pytest.mark.parametrize("body", VALID_BODIES)
def test_successful_responses_conform(body):
    case = schema["/sample"]["POST"].Case(body=body, media_type="application/json")
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 200


def test_a_successful_multipart_response_conforms():
    logits = np.array([0.5, -1.0, 2.0, 0.0], dtype="<f4").tobytes()
    case = schema["/sample"]["POST"].Case(
        body={"logits": logits, "params": {"seed": 3, "n": 2, "context": [1, 1],
                                           "presence_penalty": 0.5}},
        media_type="multipart/form-data", query={"vocab": 4})
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 200 and len(response.json()["tokens"][0]) == 2
