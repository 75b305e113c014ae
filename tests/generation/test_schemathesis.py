"""Property-based tests of the generation endpoints from /openapi.json: never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from service import create_app

pytestmark = pytest.mark.slow

# /demo/linear is left out: a valid body may train for 20,000 epochs (seconds per case).
OWN_PATHS = r"^/(generate|render|lm/next|v1/.*)$"

# Small limits keep every generated case fast; the validation paths are the same. MAX_TOKENS
# is the default max_tokens: below it, every case that leaves max_tokens out was a 422.
app = create_app({"TESTING": True, "MAX_TOKENS": 16, "MAX_GENERATE_N": 2, "MAX_LOGPROBS": 3})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(path_regex=OWN_PATHS)


def test_the_schema_covers_the_endpoints():
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert {"/generate", "/render", "/lm/next", "/v1/completions",
            "/v1/chat/completions", "/v1/models"} <= paths


@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_input_is_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance])
