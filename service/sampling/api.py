"""sample(): process, draw and package the result, as POST /sample does."""

from numbers import Integral

from .draw import draw
from .errors import InvalidParameterError
from .params import DEFAULT_LIMITS, SamplingLimits
from .pipeline import process
from .result import SampleResult
from .rng import row_uniforms


def _check_int(name: str, value, low: int, high: int) -> int:
    if type(value) is int and low <= value <= high:  # the common case, without the ABC check
        return value
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be an integer (got {value!r})", field=name)
    if not low <= value <= high:
        raise InvalidParameterError(f"{name} must be in [{low}, {high}] (got {value})", field=name)
    return int(value)


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be true or false (got {value!r})", field=name)
    return value


def sample(logits, *, n: int = 1, seed=None, logprobs: int | None = None,
           return_probs: bool = False, trace: bool = False,
           limits: SamplingLimits | None = None, **params) -> SampleResult:
    """Sample n tokens per row from the processed distribution; see docs/sampling.md."""
    limits = limits or DEFAULT_LIMITS
    n = _check_int("n", n, 1, limits.max_n)
    if logprobs is not None:
        logprobs = _check_int("logprobs", logprobs, 0, limits.max_logprobs)
    return_probs = _check_bool("return_probs", return_probs)
    trace = _check_bool("trace", trace)
    batch = process(logits, seed=seed, limits=limits, trace=trace, **params)
    tokens, token_logprobs = draw(batch, row_uniforms(batch.seeds, n))
    return SampleResult(
        tokens=tokens,
        logprobs=token_logprobs,
        kept=batch.kept,
        entropy=batch.entropy,
        seed=batch.seeds,
        top_logprobs=batch.top(logprobs) if logprobs else None,
        probs=batch.dense() if return_probs else None,
        trace=batch.trace,
    )
