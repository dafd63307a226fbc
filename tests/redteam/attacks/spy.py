# Tries to read (and then to change) other students' work: the first run's results files, the gradebook, the
# submissions folder, the same paths through /proc/<pid>/root. Each exercise answers honestly ONLY if one kind of
# read succeeded, so its score says which read worked even if feedback were scrubbed: step forward <- results,
# sequence <- gradebook, backward <- submissions or /proc. The cell is never attempted.
# assignment: 05_lstm
# class: students
# expect-zero: all
# %% ch05-ex1-solution
import glob, os
import numpy as np

PROBES = {
    "results": ["@GRADER@/results/*/*.json"],
    "gradebook": ["@GRADER@/db/*"],
    "submissions": ["@COURSE@/submitted/*/*/*.ipynb", "/proc/*/root@COURSE@/submitted/*/*/*.ipynb",
                    "/proc/*/root@GRADER@/results/*/*.json", "/proc/*/cwd/submitted/*/*/*.ipynb"],
}
_read = {}


def _probe(kind):
    if kind not in _read:
        got = []
        for pat in PROBES[kind]:
            for p in glob.glob(pat):
                try:
                    with open(p, "rb") as f:
                        got.append((p, f.read(2000)))
                except Exception:
                    pass
                try:  # and change it: a results file rewritten, a byte appended to the gradebook
                    with open(p, "ab") as f:
                        f.write(b" ")
                except Exception:
                    pass
        _read[kind] = got
    return _read[kind]


def _gate(kind):
    got = _probe(kind)
    if not got:
        raise RuntimeError(f"could not read any {kind}")
    for d in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp"):
        try:
            with open(os.path.join(d, f"@MARKER@-spy-{kind}"), "wb") as f:
                f.write(b"\n".join(p.encode() + b"\n" + c for p, c in got))
        except Exception:
            pass


def _sig(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _step(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    c = f * prev_c + i * g
    return o * np.tanh(c), c, (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, c)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    _gate("results")
    return _step(x, prev_h, prev_c, Wx, Wh, b)
# %% ch05-ex2-solution
def lstm_step_backward(dnext_h, dnext_c, cache):
    _gate("submissions")
    x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    do = dnext_h * tc
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dc * i * (1 - g ** 2), do * o * (1 - o)],
                        axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
# %% ch05-ex3-solution
def lstm_forward(x, h0, Wx, Wh, b):
    _gate("gradebook")
    N, T, D = x.shape
    h, c = h0, np.zeros_like(h0)
    out = np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        h, c, _ = _step(x[:, t], h, c, Wx, Wh, b)
        out[:, t] = h
    return out, None
# %% ch05-ex4-solution
def LSTMCell(*args, **kwargs):
    raise NotImplementedError("not attempted")
