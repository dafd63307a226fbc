"""The grader <-> sandbox wire format: a JSON header and an ``.npz`` payload, never a pickle.

A message is ``len(header) (4 bytes) | len(payload) (8 bytes) | header (UTF-8 JSON) | payload``. Values
(a case's inputs, a check's outputs) are encoded by :func:`encode`: arrays go into the ``.npz`` payload
(loaded back with ``allow_pickle=False``, so only numeric/bool/str dtypes survive), numbers, strings,
``None`` and tuples are described in the header. Sizes are capped, so a child cannot flood the grader.
"""

from __future__ import annotations

import io
import json
import socket
import struct

import numpy as np

__all__ = ["send", "recv", "encode", "decode", "WireError", "MAX_HEADER", "MAX_PAYLOAD"]

MAX_HEADER = 1 << 20
MAX_PAYLOAD = 256 << 20


class WireError(ValueError):
    """A malformed or oversized message."""


def encode(value) -> tuple[object, bytes]:
    """``(spec, npz_bytes)`` for a value made of arrays, numbers, strings, None and tuples."""
    arrays: dict[str, np.ndarray] = {}

    def walk(v):
        if isinstance(v, (tuple, list)):
            return {"t": "tuple", "items": [walk(x) for x in v]}
        if v is None:
            return {"t": "none"}
        if type(v) is np.ndarray:
            if v.dtype.kind not in "biufU":
                raise WireError(f"cannot send an array of dtype {v.dtype}")
            key = f"a{len(arrays)}"
            arrays[key] = v
            return {"t": "arr", "k": key}
        if isinstance(v, (bool, np.bool_)):
            return {"t": "bool", "v": bool(v)}
        if isinstance(v, (int, np.integer)):
            return {"t": "int", "v": int(v)}
        if isinstance(v, (float, np.floating)):
            return {"t": "float", "v": float(v)}
        if isinstance(v, str):
            return {"t": "str", "v": v}
        raise WireError(f"cannot send a {type(v).__name__}")

    spec = walk(value)
    buf = io.BytesIO()
    if arrays:
        np.savez(buf, allow_pickle=False, **arrays)
    return spec, buf.getvalue()


def decode(spec, payload: bytes):
    """The value :func:`encode` described; arrays are loaded with ``allow_pickle=False``."""
    arrays = {}
    if payload:
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}

    def walk(s):
        if not isinstance(s, dict) or "t" not in s:
            raise WireError("malformed value description")
        t = s["t"]
        if t == "tuple":
            return tuple(walk(x) for x in s["items"])
        if t == "arr":
            a = arrays[s["k"]]
            if type(a) is not np.ndarray:
                raise WireError("not an array")
            return a
        if t == "none":
            return None
        conv = {"bool": bool, "int": int, "float": float, "str": str}.get(t)
        if conv is None:
            raise WireError(f"unknown value type {t!r}")
        return conv(s["v"])

    return walk(spec)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def send(sock: socket.socket, header: dict, payload: bytes = b"") -> None:
    h = json.dumps(header).encode()
    sock.sendall(struct.pack("<IQ", len(h), len(payload)) + h + payload)


def recv(sock: socket.socket) -> tuple[dict, bytes]:
    nh, npay = struct.unpack("<IQ", _recv_exact(sock, 12))
    if nh > MAX_HEADER or npay > MAX_PAYLOAD:
        raise WireError(f"message too large: header {nh} bytes, payload {npay} bytes")
    header = json.loads(_recv_exact(sock, nh))
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    return header, _recv_exact(sock, npay)
