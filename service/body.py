"""Reading a request body whole: one read of Content-Length bytes, within MAX_CONTENT_LENGTH."""

import io
import sys
from typing import IO

from flask import Flask, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

# Pieces a chunked body is read in: the server's own socket reads go up to 1 MiB.
_PIECE = 1 << 20


def read_body() -> bytes:
    """The whole request body; 413 past the app's MAX_CONTENT_LENGTH, 400 if it is cut short.

    With a Content-Length (every curl, requests or locust POST) the body is read from the
    server's input in one call. `request.get_data` reads in 64 KiB pieces into a bytearray and
    copies it into bytes: for a 513 KB binary logits body that took 0.07 ms more, a fifth of
    sampling it. Chunked bodies were read whole by `size_chunked_body` before the view ran.
    """
    length = request.content_length
    if length is None:
        return request.get_data(cache=False)
    limit = request.max_content_length
    if limit is not None and length > limit:
        raise RequestEntityTooLarge()
    data = request.environ["wsgi.input"].read(length) if length else b""
    if len(data) != length:
        raise BadRequest(f"The body ended after {len(data)} of its {length} bytes.")
    return data


def _framing_error(error: Exception) -> bool:
    """Whether gunicorn refused the chunked framing (a bad size line, a missing CRLF...)."""
    # Its errors module is loaded whenever gunicorn serves; importing it here would add
    # gunicorn.http's ~0.2 s import to every app that never runs under it.
    errors = sys.modules.get("gunicorn.http.errors")
    return errors is not None and isinstance(error, errors.ParseException)


def _read_chunked(stream: IO[bytes], limit: int | None) -> bytes:
    """The rest of a chunked `stream`; 413 as soon as it passes `limit`, 400 on bad framing."""
    pieces: list[bytes] = []
    size = 0
    while True:
        try:
            piece = stream.read(_PIECE)
        except OSError:  # gunicorn's NoMoreData: the connection closed mid-body
            raise BadRequest("The connection closed before the chunked body's last chunk."
                             ) from None
        except Exception as error:
            if not _framing_error(error):
                raise
            raise BadRequest(f"The chunked body is malformed: {error}.") from None
        if not piece:
            return b"".join(pieces)
        size += len(piece)
        if limit is not None and size > limit:
            raise RequestEntityTooLarge()
        pieces.append(piece)


def size_chunked_body() -> None:
    """before_request: read a chunked body here and pass it on with its Content-Length."""
    # werkzeug reads a body without a length only up to MAX_CONTENT_LENGTH, then stops as if
    # it had ended, and gunicorn's framing errors are no HTTP errors: every reader (read_body,
    # the webargs parser) got a truncated body or raised a 500. An unrouted request (404, 405)
    # is answered without reading its body.
    environ = request.environ
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    if request.url_rule is None:
        return
    data = _read_chunked(environ["wsgi.input"], request.max_content_length)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    del environ["HTTP_TRANSFER_ENCODING"]  # or werkzeug would still see no length


def init_app(app: Flask) -> None:
    """Size chunked bodies before any view, after the token check: no body is read unasked."""
    app.before_request(size_chunked_body)
