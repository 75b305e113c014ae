"""Stage names and the orders in which vLLM, Hugging Face and llama.cpp apply them."""

from collections import Counter
from collections.abc import Sequence

from .errors import InvalidParameterError

STAGES = (
    "logit_bias",
    "penalties",
    "temperature",
    "min_p",
    "top_k",
    "top_p",
    "typical_p",
    "top_n_sigma",
    "xtc",
)

# Stages that edit individual logits; they must run before any stage that shapes the
# distribution, because the core sorts each row once after them.
ADJUSTMENT_STAGES = ("logit_bias", "penalties")

PRESETS: dict[str, tuple[str, ...]] = {
    "vllm": ("logit_bias", "penalties", "temperature", "min_p", "top_k", "top_p"),
    "hf": ("logit_bias", "penalties", "temperature", "top_k", "top_p", "min_p", "typical_p"),
    "llama.cpp": (
        "logit_bias",
        "penalties",
        "top_n_sigma",
        "top_k",
        "typical_p",
        "top_p",
        "min_p",
        "xtc",
        "temperature",
    ),
}

# llama.cpp's sampler counts only the most recent tokens for its penalties.
DEFAULT_PENALTY_LAST_N = {"vllm": None, "hf": None, "llama.cpp": 64}


def resolve_order(preset: str, order: Sequence[str] | None) -> tuple[str, ...]:
    """Return the stage order: the explicit `order` if given, else the preset's."""
    if preset not in PRESETS:
        raise InvalidParameterError(
            f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}", field="preset"
        )
    if order is None:
        return PRESETS[preset]
    if isinstance(order, str) or not isinstance(order, Sequence):
        raise InvalidParameterError("order must be a list of stage names", field="order")
    stages = tuple(order)
    for name in stages:
        if name not in STAGES:
            raise InvalidParameterError(
                f"unknown stage {name!r} in order; stages are {', '.join(STAGES)}", field="order"
            )
    # One count of every name (not stages.count per name: quadratic in a long order).
    duplicates = sorted(name for name, count in Counter(stages).items() if count > 1)
    if duplicates:
        raise InvalidParameterError(
            f"stage(s) listed twice in order: {', '.join(duplicates)}", field="order"
        )
    shaping_seen = False
    for name in stages:
        if name in ADJUSTMENT_STAGES and shaping_seen:
            raise InvalidParameterError(
                f"{name} must come before the distribution-shaping stages in order",
                field="order",
            )
        shaping_seen = shaping_seen or name not in ADJUSTMENT_STAGES
    return stages
