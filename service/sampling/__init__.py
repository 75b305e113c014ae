"""The sampling core: every decoding knob over a batch of logits, in pure numpy."""

from .api import sample
from .draw import draw
from .errors import AllMaskedRowError, InvalidLogitsError, InvalidParameterError, SamplingError
from .params import RANGES, SamplingLimits
from .pipeline import process
from .presets import PRESETS, STAGES
from .result import ProcessedBatch, SampleResult
from .rng import row_uniforms

__all__ = [
    "PRESETS",
    "RANGES",
    "STAGES",
    "AllMaskedRowError",
    "InvalidLogitsError",
    "InvalidParameterError",
    "ProcessedBatch",
    "SampleResult",
    "SamplingError",
    "SamplingLimits",
    "draw",
    "process",
    "row_uniforms",
    "sample",
]
