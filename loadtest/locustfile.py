"""Locust users of every scenario; pick one by class name (`logitlab loadtest` does this).

    locust -f loadtest/locustfile.py --headless -u 4 -r 4 -t 60s --host http://127.0.0.1:8000 \
        SmallJsonUser

Every body is serialized once per process (loadtest.bodies caches them) and sent as bytes.
`--user-rate R` paces each user to R requests per second (default: no wait, closed loop);
`--max-requests N` stops the whole run after N requests, a bound beside --run-time.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task
from locust.user.wait_time import constant_throughput

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:  # `locust -f loadtest/locustfile.py` from any directory
    sys.path.insert(0, ROOT)

from loadtest import bodies  # noqa: E402

JSON = {"Content-Type": "application/json"}
NPY = {"Content-Type": "application/x-npy"}
_sent = itertools.count(1)


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--user-rate", type=float, default=0.0,
                        help="requests per second per user (0 = no wait)")
    parser.add_argument("--max-requests", type=int, default=0,
                        help="stop the run after this many requests (0 = no bound)")


_environment = None


@events.init.add_listener
def _init(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


@events.request.add_listener
def _bound(**_kwargs) -> None:
    """Stop the run once --max-requests requests were made."""
    options = _environment.parsed_options if _environment else None
    if options and options.max_requests and next(_sent) == options.max_requests:
        gevent.spawn(_environment.runner.quit)


class LogitLabUser(FastHttpUser):
    """Base user: closed loop, or paced by --user-rate; checks every answer."""

    abstract = True
    network_timeout = 60.0
    connection_timeout = 10.0

    def wait_time(self) -> float:
        """No wait, or the pause that keeps this user at --user-rate requests per second."""
        options = self.environment.parsed_options
        rate = options.user_rate if options else 0.0
        if not rate:
            return 0.0
        if not hasattr(self, "_pace"):
            self._pace = constant_throughput(rate)
        return self._pace(self)

    def post(self, path: str, body: bytes, headers: dict, name: str, expect: bytes) -> None:
        """POST `body`; a non-200 answer or one without `expect` in it is a failure."""
        with self.client.post(path, data=body, headers=headers, name=name,
                              catch_response=True) as response:
            if not response.status_code:  # no HTTP answer: reset, refused or timed out
                response.failure(f"connection error: {response.error!r}")
            elif response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
            elif expect not in (response.content or b""):  # e.g. cut off mid-body
                response.failure(f"incomplete answer: {len(response.content or b'')} bytes "
                                 f"without {expect.decode()}")


class SmallJsonUser(LogitLabUser):
    """POST /sample, JSON, V = 1000."""

    def on_start(self) -> None:
        self.body = bodies.small_json()

    @task
    def sample(self) -> None:
        self.post("/sample", self.body, JSON, "/sample json V=1000", b'"tokens"')


class RealisticJsonUser(LogitLabUser):
    """POST /sample, JSON, V = 32 000, temperature 0.8, top-p 0.95."""

    def on_start(self) -> None:
        self.body = bodies.realistic_json()

    @task
    def sample(self) -> None:
        self.post("/sample", self.body, JSON, "/sample json V=32000", b'"tokens"')


class NpyB1User(LogitLabUser):
    """POST /sample, .npy float32, V = 128 256, B = 1."""

    def on_start(self) -> None:
        self.body = bodies.npy(1)

    @task
    def sample(self) -> None:
        self.post(f"/sample?{bodies.NPY_QUERY}", self.body, NPY, "/sample npy B=1 V=128256",
                  b'"tokens"')


class NpyB8User(LogitLabUser):
    """POST /sample, .npy float32, V = 128 256, B = 8."""

    def on_start(self) -> None:
        self.body = bodies.npy(8)

    @task
    def sample(self) -> None:
        self.post(f"/sample?{bodies.NPY_QUERY}", self.body, NPY, "/sample npy B=8 V=128256",
                  b'"tokens"')


class MixedParamsUser(LogitLabUser):
    """POST /sample, JSON, V = 32 000, cycling through the mixed parameter sets."""

    def on_start(self) -> None:
        self.bodies = itertools.cycle(bodies.mixed())

    @task
    def sample(self) -> None:
        name, body = next(self.bodies)
        self.post("/sample", body, JSON, f"/sample mixed {name}", b'"tokens"')


class GenerateUser(LogitLabUser):
    """POST /generate with the built-in n-gram model, 32 tokens per request, cycling prompts."""

    def on_start(self) -> None:
        self.bodies = itertools.cycle(bodies.generate())

    @task
    def generate(self) -> None:
        self.post("/generate", next(self.bodies), JSON, "/generate 32 tokens", b'"choices"')


class EchoUser(LogitLabUser):
    """POST /echo of the small JSON body: the same app, hooks and logging, no sampling."""

    def on_start(self) -> None:
        self.body = bodies.small_json()

    @task
    def echo(self) -> None:
        self.post("/echo", self.body, JSON, "/echo json V=1000", b'"logits"')
