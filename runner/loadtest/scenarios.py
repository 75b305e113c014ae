"""The load-test scenarios by name: locust user class, endpoint and what each one sends."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The checkout's loadtest/locustfile.py defines every scenario's user class (picked by name).
ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "loadtest" / "locustfile.py"
# The scenario each run is compared against: a trivial endpoint served by the same app.
BASELINE = "echo"


@dataclass(frozen=True)
class Scenario:
    """One scenario: its locust user class and a one-line description."""

    name: str
    user_class: str
    description: str
    unavailable: str | None = None  # why the scenario cannot run, when it cannot


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("small-json", "SmallJsonUser", "POST /sample, JSON, V = 1000, B = 1"),
    Scenario("json-32k", "RealisticJsonUser", "POST /sample, JSON, V = 32 000, B = 1"),
    Scenario("npy-b1", "NpyB1User", "POST /sample, .npy float32, V = 128 256, B = 1"),
    Scenario("npy-b8", "NpyB8User", "POST /sample, .npy float32, V = 128 256, B = 8"),
    Scenario("mixed", "MixedParamsUser",
             "POST /sample, JSON, V = 32 000: top-k, top-p, min-p, penalties with context"),
    Scenario("generate", "GenerateUser",
             "POST /generate, built-in model (ngram-pydoc), 32 tokens, 3 prompts"),
    Scenario(BASELINE, "EchoUser",
             "POST /echo of the small JSON body: the baseline (needs LOGITLAB_ENABLE_ECHO=1)"),
)}
