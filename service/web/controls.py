"""The playground's knobs: slider ranges, neutral values and the pipeline stage each one feeds."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Knob:
    """One numeric /sample parameter as a slider plus a number box; `neutral` is never sent.

    `limit` is the number box's maximum when the parameter has one (the slider's `high` is
    only a convenient range: the box may go beyond it, and the server judges)."""

    name: str
    label: str
    low: float
    high: float
    step: float
    neutral: float
    stage: str
    hint: str
    integer: bool = False
    limit: float | None = None


KNOBS = (
    Knob("temperature", "Temperature", 0, 2, 0.01, 1, "temperature", "0 = greedy, 1 = off"),
    Knob("top_k", "Top-k", 0, 200, 1, 0, "top_k", "0 = off", integer=True),
    Knob("top_p", "Top-p", 0.01, 1, 0.01, 1, "top_p", "1 = off", limit=1),
    Knob("min_p", "Min-p", 0, 1, 0.01, 0, "min_p", "0 = off", limit=1),
    Knob("typical_p", "Typical-p", 0.01, 1, 0.01, 1, "typical_p", "1 = off", limit=1),
    Knob("top_n_sigma", "Top-n-sigma", 0, 5, 0.05, 0, "top_n_sigma", "0 = off"),
    Knob("xtc_probability", "XTC probability", 0, 1, 0.01, 0, "xtc", "0 = off", limit=1),
    Knob("xtc_threshold", "XTC threshold", 0, 1, 0.01, 0.1, "xtc", "default 0.1",
         limit=1),
    Knob("repetition_penalty", "Repetition penalty", 0.5, 2, 0.01, 1, "penalties",
         "1 = off; counts the context ids"),
    Knob("frequency_penalty", "Frequency penalty", -2, 2, 0.05, 0, "penalties", "0 = off"),
    Knob("presence_penalty", "Presence penalty", -2, 2, 0.05, 0, "penalties", "0 = off"),
)


def knobs_json() -> list[dict[str, object]]:
    """The knobs as plain dicts for the page's JSON island."""
    return [asdict(knob) for knob in KNOBS]
