"""The grader <-> sandbox wire format: a JSON header and a raw array payload, never a pickle, never a zip.

A message is ``len(header) (4 bytes) | len(payload) (8 bytes) | header (UTF-8 JSON) | payload``. Values (a
call's arguments, a function's results) are encoded by :func:`encode`: each array is described in the
header by dtype, shape and byte offset and its bytes go into the payload; numbers, strings, ``None``,
tuples, lists and dicts with string keys are described in the header. :func:`decode` checks every array
description against the bytes that arrived (a known numeric dtype, a shape whose size matches, in bounds),
so what is held in memory is never more than what was received, and both sizes are capped *before* the
bytes are read. Two tags are not data: ``handle`` (an object that stays in the sandbox, see
:mod:`autograder.driver`) and ``callback`` (a function of the grader's that the sandbox may call back).

This module is also copied into the sandbox next to the driver: it imports only the standard library
and NumPy, and nothing else of the grader.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

import numpy as np

__all__ = ["encode", "decode", "WireError", "Handle", "MAX_HEADER", "MAX_PAYLOAD", "Channel"]

MAX_HEADER = 1 << 20
MAX_PAYLOAD = 256 << 20
MAX_DEPTH = 32
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128")


class WireError(ValueError):
    """A malformed or oversized message."""


class Handle:
    """An opaque reference to an object that lives in the sandbox (e.g. a cache the student returned)."""

    __slots__ = ("id",)

    def __init__(self, id: int):
        self.id = int(id)

    def __repr__(self):
        return f"<sandbox object {self.id}>"


def encode(value, *, handle=None, callback=None) -> tuple[object, bytes]:
    """``(spec, payload)`` for ``value``. ``handle(obj) -> int`` keeps an object that cannot be sent (if
    given; else it is an error); ``callback(fn) -> int`` registers a callable the other side may call."""
    chunks: list[bytes] = []
    offset = [0]

    def walk(v, depth):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        t = type(v)
        if t is Handle:
            return {"t": "handle", "id": v.id}
        if t is np.ndarray or (isinstance(v, np.ndarray) and handle is None):
            a = np.ascontiguousarray(v)
            if a.dtype.name not in DTYPES:
                if handle is not None:
                    return {"t": "handle", "id": handle(v)}
                raise WireError(f"cannot send an array of dtype {a.dtype}")
            b = a.tobytes()
            spec = {"t": "arr", "dtype": a.dtype.name, "shape": list(a.shape), "off": offset[0], "n": len(b)}
            chunks.append(b)
            offset[0] += len(b)
            return spec
        if v is None:
            return {"t": "none"}
        if t in (bool, np.bool_):
            return {"t": "bool", "v": bool(v)}
        if t is int or isinstance(v, np.integer):
            return {"t": "int", "v": int(v)}
        if t is float or isinstance(v, np.floating):
            return {"t": "float", "v": float(v)}
        if t is str:
            return {"t": "str", "v": v}
        if t in (tuple, list):
            return {"t": "tuple" if t is tuple else "list", "items": [walk(x, depth + 1) for x in v]}
        if t is dict and all(type(k) is str for k in v):
            return {"t": "dict", "items": {k: walk(x, depth + 1) for k, x in v.items()}}
        if callable(v) and callback is not None and not isinstance(v, type):
            return {"t": "callback", "id": callback(v)}
        if handle is not None:
            return {"t": "handle", "id": handle(v)}
        raise WireError(f"cannot send a {t.__name__}")

    spec = walk(value, 0)
    return spec, b"".join(chunks)


def decode(spec, payload: bytes, *, handle=None, callback=None):
    """The value :func:`encode` described. ``handle(id)`` and ``callback(id)`` resolve the two non-data
    tags (where absent, those tags are errors). Arrays are copied out of ``payload`` (never views of it)."""
    view = memoryview(payload)

    def walk(s, depth):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if type(s) is not dict or type(s.get("t")) is not str:
            raise WireError("malformed value description")
        t = s["t"]
        if t == "arr":
            dtype, shape, off, n = s.get("dtype"), s.get("shape"), s.get("off"), s.get("n")
            if dtype not in DTYPES or type(shape) is not list or len(shape) > 32 \
                    or not all(type(d) is int and 0 <= d for d in shape) or type(off) is not int \
                    or type(n) is not int:
                raise WireError("malformed array description")
            size = 1
            for d in shape:
                size *= d
            if size * np.dtype(dtype).itemsize != n or off < 0 or off + n > len(payload):
                raise WireError("array description does not match the bytes sent")
            return np.frombuffer(view[off:off + n], dtype=dtype).reshape(shape).copy()
        if t == "none":
            return None
        if t in ("tuple", "list"):
            items = s.get("items")
            if type(items) is not list:
                raise WireError("malformed sequence")
            out = [walk(x, depth + 1) for x in items]
            return tuple(out) if t == "tuple" else out
        if t == "dict":
            items = s.get("items")
            if type(items) is not dict:
                raise WireError("malformed mapping")
            return {str(k): walk(x, depth + 1) for k, x in items.items()}
        if t in ("handle", "callback"):
            resolve = handle if t == "handle" else callback
            if resolve is None or type(s.get("id")) is not int:
                raise WireError(f"unexpected {t}")
            return resolve(s["id"])
        conv = {"bool": bool, "int": int, "float": float, "str": str}.get(t)
        v = s.get("v")
        if conv is None or (t == "float" and type(v) not in (int, float)) or (t == "int" and type(v) is not int) \
                or (t == "bool" and type(v) is not bool) or (t == "str" and type(v) is not str):
            raise WireError(f"malformed value of type {t!r}")
        return conv(v)

    return walk(spec, 0)


class Channel:
    """A message channel over two file descriptors (pipes), with a deadline that bounds each whole message.

    ``deadline`` (a ``time.monotonic()`` value or None) applies to every :meth:`recv`: a peer that sends one
    byte at a time cannot hold a reader past it, since the deadline counts for the whole message, not per read.
    """

    def __init__(self, rfd: int, wfd: int, *, deadline: float | None = None, max_payload: int = MAX_PAYLOAD):
        self.rfd, self.wfd, self.deadline, self.max_payload = rfd, wfd, deadline, max_payload

    def _read(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                    raise TimeoutError("deadline passed while reading a message")
            chunk = os.read(self.rfd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError("connection closed")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def send(self, header: dict, payload: bytes = b"") -> None:
        h = json.dumps(header, ensure_ascii=True).encode()
        data = memoryview(struct.pack("<IQ", len(h), len(payload)) + h + payload)
        while data:
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0 or not select.select([], [self.wfd], [], left)[1]:
                    raise TimeoutError("deadline passed while sending a message")
            n = os.write(self.wfd, data[: 1 << 20])
            data = data[n:]

    def recv(self) -> tuple[dict, bytes]:
        nh, npay = struct.unpack("<IQ", self._read(12))
        if nh > MAX_HEADER or npay > self.max_payload:
            raise WireError(f"message too large: header {nh} bytes, payload {npay} bytes")
        try:
            header = json.loads(self._read(nh))
        except (ValueError, RecursionError) as exc:
            raise WireError(f"malformed header ({type(exc).__name__})") from None
        if type(header) is not dict:
            raise WireError("header is not an object")
        return header, self._read(npay)

