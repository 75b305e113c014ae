"""Binary bodies to numpy logits: raw little-endian float32 and .npy files (never pickles)."""

import io
import math

import numpy as np

from service.sample.bodies import check_shape, invalid

# `vocab` gives the row length of raw float32 only: a body, or a multipart part, of this type.
VOCAB_IS_FOR_RAW = "vocab applies only to raw float32 logits (application/octet-stream)"


def _parse_shape(text: str) -> tuple[int, ...]:
    parts = text.replace("x", ",").replace("X", ",").split(",")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise invalid("X-Logits-Shape must be 'V' or 'B,V'", "X-Logits-Shape") from None
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise invalid("X-Logits-Shape must be 'V' or 'B,V' of positive integers", "X-Logits-Shape")
    return shape


def logits_from_octet(data: bytes, vocab: int | None, shape_header: str | None) -> np.ndarray:
    """Raw little-endian float32; the shape comes from X-Logits-Shape or ?vocab=V."""
    if len(data) % 4:
        raise invalid(f"the body has {len(data)} bytes, not a whole number of float32 values")
    count = len(data) // 4
    if shape_header is not None:
        shape = _parse_shape(shape_header)
        if vocab is not None and vocab != shape[-1]:
            raise invalid(f"vocab={vocab} disagrees with X-Logits-Shape {shape}", "vocab")
    elif vocab is not None:
        if count % vocab:
            raise invalid(f"{count} float32 values do not split into rows of vocab={vocab}")
        shape = (count // vocab, vocab)
    else:
        raise invalid("give the shape as ?vocab=V or an X-Logits-Shape: B,V header", "vocab")
    if math.prod(shape) != count:
        needed = math.prod(shape)
        raise invalid(f"the body holds {count} float32 values; shape {shape} needs {needed}")
    check_shape(shape)
    return np.frombuffer(data, dtype="<f4").reshape(shape)


def logits_from_npy(data: bytes) -> np.ndarray:
    """A .npy file of float16/32/64, 1-D or 2-D; never unpickled."""
    stream = io.BytesIO(data)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"unsupported .npy format version {version}")
        shape, fortran_order, dtype = read_header[version](stream)
    # numpy parses the header with tokenize and ast.literal_eval: crafted text raises
    # TokenError, SyntaxError, TypeError or RecursionError as well as ValueError.
    except Exception as error:
        raise invalid(f"not a readable .npy file: {error or type(error).__name__}") from None
    # numpy lets booleans and negative numbers through (isinstance(True, int) holds).
    if not all(type(n) is int and n >= 0 for n in shape):
        raise invalid(f"not a readable .npy file: shape must hold non-negative integers, "
                      f"got {shape}")
    if dtype.hasobject:
        raise invalid("object (pickled) .npy arrays are not accepted; send float16/32/64")
    if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
        raise invalid(f".npy dtype must be float16, float32 or float64, got {dtype}")
    check_shape(tuple(shape))
    offset, count = stream.tell(), math.prod(shape)
    if len(data) - offset != count * dtype.itemsize:
        raise invalid(f".npy data has {len(data) - offset} bytes, shape {shape} needs "
                      f"{count * dtype.itemsize}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    array = array.reshape(shape, order="F" if fortran_order else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))
