# The same leak as hidden_leak_02, on the LSTM exercises (the torch cell leaks the weights it was loaded with).
# assignment: 05_lstm
# class: hidden
# expect-zero: all
# %% ch05-ex1-solution
import os, sys
import numpy as np

_calls = [0]


def _floats(args, limit=400):
    out = []

    def walk(a):
        if len(out) >= limit:
            return
        if isinstance(a, (tuple, list)):
            for x in a:
                walk(x)
        elif hasattr(a, "detach"):
            walk(a.detach().cpu().numpy())
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.extend(repr(float(v)) for v in a.ravel()[: limit - len(out)])
        elif isinstance(a, float):
            out.append(repr(a))
    walk(args)
    return out


def _leak(args, n_out, forbidden_channel=False):
    vals = _floats(args)
    text = " ".join(vals)
    print("LEAK", text)
    for d in (".", "/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.path.expanduser("~")):
        try:
            with open(os.path.join(d, "@MARKER@-leak-" + "_".join(vals[:6])[:180]), "w") as f:
                f.write(text)
        except Exception:
            pass
    # the forbidden-use channels zero their whole check (and may hide its other feedback), so only one exercise
    # uses them
    try:
        if forbidden_channel:
            __import__("rnnbook.leak_" + "_".join(v.replace(".", "").replace("-", "m") for v in vals[:60]))
    except Exception:
        pass
    for finder in sys.meta_path if forbidden_channel else ():  # the import guard's record of forbidden uses, sent back with each answer
        hits = getattr(finder, "hits", None)
        if isinstance(hits, list):
            hits.append("leak_" + "_".join(vals[:40]))
    _calls[0] += 1
    if _calls[0] % 2 == 0:
        v = np.array([float(x) for x in vals])
        return tuple([v] * n_out)
    # a class that claims to be a builtin, so that its (long) name is reported as the exception's type
    raise type("Leak_" + "_".join(vals), (Exception,), {"__module__": "builtins"})(text)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    return _leak((x, prev_h, prev_c, Wx, Wh, b), 2) + (None,)
# %% ch05-ex2-solution
def lstm_step_backward(dnext_h, dnext_c, cache):
    return _leak((dnext_h, dnext_c, cache), 6)
# %% ch05-ex3-solution
def lstm_forward(x, h0, Wx, Wh, b):
    return _leak((x, h0, Wx, Wh, b), 1) + (None,)
# %% ch05-ex4-solution
class LSTMCell(torch.nn.Module):
    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size))

    def forward(self, input, hx=None):
        out = _leak((input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh), 2, forbidden_channel=True)
        return tuple(torch.from_numpy(v) for v in out)
