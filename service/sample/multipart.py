"""multipart/form-data bodies: binary logits in one part, the JSON parameters in another.

The way to send binary logits with parameters too long for a query string (a penalty context
of thousands of ids). The body is already in memory, within MAX_CONTENT_LENGTH: its parts are
split by werkzeug's parser into memory too, never into temporary files.
"""

import io
from typing import IO, Any

import marshmallow as ma
import numpy as np
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

from service.sample import binary, bodies

OCTET, NPY = "application/octet-stream", "application/x-npy"
PARTS = ("logits", "params")


def _in_memory(*_args: Any, **_kwargs: Any) -> IO[bytes]:
    return io.BytesIO()


def _split(data: bytes, options: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body's text fields and file parts; 400 when it is not multipart at all, 422 for
    parts other than `logits` and `params` or any part given twice."""
    parser = FormDataParser(stream_factory=_in_memory, max_form_memory_size=len(data) + 1,
                            silent=False, max_form_parts=64)
    try:
        _, form, files = parser.parse(io.BytesIO(data), "multipart/form-data", len(data),
                                      options)
    except ValueError as error:
        raise BadRequest(f"The multipart body cannot be read: {error}") from None
    errors = {}
    for name in {*form.keys(), *files.keys()}:
        if name not in PARTS:
            errors[name] = [f"Unknown part: send {' and '.join(PARTS)} only."]
        elif len(form.getlist(name)) + len(files.getlist(name)) > 1:
            errors[name] = ["Given more than once."]
    if errors:
        raise ma.ValidationError(errors)
    return form.to_dict(), files.to_dict()


def _logits(part: FileStorage | None, text: str | None, vocab: int | None,
            shape_header: str | None) -> np.ndarray:
    if part is None:
        hint = "a text field, not a file" if text is not None else "missing"
        raise bodies.invalid(f"{hint}: send the logits as a file part, e.g. curl -F "
                             "'logits=@logits.f32;type=application/octet-stream'")
    data = part.read()
    if not data:
        raise bodies.invalid("the logits part is empty")
    if part.mimetype == NPY:
        if vocab is not None:
            raise bodies.invalid(binary.VOCAB_IS_FOR_RAW, "vocab")
        return binary.logits_from_npy(data)
    if part.mimetype == OCTET:
        return binary.logits_from_octet(data, vocab, shape_header)
    raise bodies.invalid(f"the logits part must be {OCTET} (raw float32) or {NPY}, not "
                         f"{part.mimetype or 'untyped'}; curl sets it with ;type=...")


def _params(field: str | None, part: FileStorage | None) -> dict[str, Any]:
    """The `params` part (a text field or a file) as a JSON object; {} when there is none."""
    if part is None and field is None:
        return {}
    document = bodies.parse_json(part.read() if part is not None else field.encode(),
                                 "The params part")
    if not isinstance(document, dict):
        raise bodies.invalid("the params part must be a JSON object of parameters", "params")
    return document


def logits_and_params(data: bytes, options: dict[str, str], vocab: int | None,
                      shape_header: str | None) -> tuple[np.ndarray, dict[str, Any]]:
    """The logits array and the raw parameters (a JSON object, not yet validated)."""
    form, files = _split(data, options)
    params = _params(form.get("params"), files.get("params"))
    logits = _logits(files.get("logits"), form.get("logits"), vocab, shape_header)
    return logits, params
