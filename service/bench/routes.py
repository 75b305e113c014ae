"""POST /echo, the baseline for service benchmarks, and POST /echo/bare-sample, their bound
(both only with LOGITLAB_ENABLE_ECHO)."""

import numpy as np
import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import BadRequest

from service.body import read_body

# Registered only when this config flag is true; never part of /openapi.json.
ENABLED_BY = "ENABLE_ECHO"

blp = Blueprint("bench", __name__)


@blp.post("/echo")
def echo() -> Response:
    """Return the request body unchanged, with the request's content type."""
    body = read_body()
    return Response(body, mimetype=request.mimetype or "application/octet-stream")


@blp.post("/echo/bare-sample")
def bare_sample() -> Response:
    """The least a JSON sampling endpoint can do: parse, one softmax draw, encode.

    No validation, no parameters, no result fields beyond a token: it measures how close to
    /echo any /sample served by this stack could get, never a substitute for /sample.
    """
    try:
        logits = np.array(orjson.loads(read_body())["logits"],
                          dtype=np.float64).reshape(-1)
        weights = np.exp(logits - logits.max())
    except (ValueError, KeyError, TypeError, IndexError):
        raise BadRequest('The body must be {"logits": [number, ...]}.') from None
    cumulative = np.cumsum(weights)
    uniform = np.random.Generator(np.random.Philox(key=1)).random()
    token = int(np.searchsorted(cumulative, uniform * cumulative[-1], side="right"))
    return Response(orjson.dumps({"tokens": [[token]]}), mimetype="application/json")
