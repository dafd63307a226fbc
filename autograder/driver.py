"""The minimal driver that runs inside the sandbox: it calls the student's functions and returns raw outputs.

It is the only grader code in the sandbox, copied there with :mod:`autograder.wire`, and it imports only the
standard library, NumPy and (when the assignment needs it) torch. No check, reference, solution or grader
helper is importable beside it, so nothing here can be borrowed or patched to change a verdict: the grader
computes every verdict in its own process from the plain values this driver sends back.

Protocol (messages on fds 3 and 4; the student's stdout and stderr go to ``output.txt`` in the work folder):

- ``exec``: run the instructor's setup cells and the submission's code cells in one namespace;
  reply ``ready`` with the first error of a cell (its index and exception type) and the magics skipped.
- ``call``: call ``namespace[fn](*args)`` on deep copies of ``args``; objects that are not plain data come
  back as handles and can be passed to later calls; ``callback`` arguments become stubs that ask the grader.
  Reply ``return`` (the result, and with ``return_args`` the arguments as they were after the call) or
  ``raise`` (the exception's type; its message only when the grader asks for it, on visible cases).
- ``module``: build a ``torch.nn.Module`` of the student's class, load a state dict, run forward and backward,
  and return outputs and gradients (:func:`torch_module_grads`; the notebook calls the same function).

While a call runs, every name of its ``forbidden`` list is absent: attributes that resolve to a forbidden
object are replaced, in every loaded module, by a tripwire that raises and records the use, whatever the
spelling (``getattr(torch.nn, "LSTM" + "Cell")`` finds the tripwire); whole modules the whole assignment
forbids are refused at import, and calls into a forbidden module are seen by a profile hook.

Where an object is bound comes from an index of every loaded module's bindings (:func:`index_bindings`),
taken once per interpreter: by the zygote before its first fork, so a submission's process looks its targets
up instead of walking some 50,000 bindings (and copying the pages they live on) on every call; modules loaded
after the index are walked in full on every call. A binding that code of the submission itself adds to an
already indexed module after that is not replaced, as one in its own globals never was: the profile hook
still records each call of a forbidden function or method, and the static scan reads the source.
"""

from __future__ import annotations

import ast
import builtins
import copy
import gc
import os
import sys
import time
import types
import warnings

try:
    from . import wire
except ImportError:  # inside the sandbox, wire.py sits beside this file
    import wire

import numpy as np

__all__ = ["torch_module_grads", "main"]

MAX_MESSAGE = 300
GRADER_PACKAGES = ("autograder", "rnnbook", "nbgrader")  # masked in the sandbox's root, and refused here too


def _is_under(name: str, forbidden) -> str | None:
    for f in forbidden:
        if name == f or name.startswith(f + "."):
            return f
    return None


class _Tripwire:
    """Stands in for a forbidden object while a call runs; any use raises and is recorded."""

    def __init__(self, name, hits):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_hits", hits)

    def _hit(self, *a, **k):
        self._hits.append(self._name)
        raise ImportError(f"{self._name} is forbidden in this exercise")

    __call__ = __getattr__ = __getitem__ = __iter__ = __mro_entries__ = _hit

    def __setattr__(self, k, v):
        self._hit()


class _Guard:
    """Refuses importing what the whole assignment forbids, and makes a call's forbidden names absent."""

    def __init__(self, always):
        self.always = tuple(always)
        self.hits: list[str] = []

    def find_spec(self, fullname, path=None, target=None):  # meta-path finder: refuse loading at all
        f = _is_under(fullname, self.always)
        if f:
            self.hits.append(f)
            raise ImportError(f"{fullname} is forbidden in this exercise ({f})")
        return None

    def absent(self, forbidden):
        """Context manager: replace every object a forbidden dotted name resolves to, wherever it is bound."""
        return _Absent(self, tuple(forbidden))


class _Absent:
    def __init__(self, guard, forbidden):
        self.guard, self.forbidden, self.saved, self.hooked = guard, forbidden, [], False

    def __enter__(self):
        targets, codes, prefixes = {}, set(), []
        for name in self.forbidden:
            obj = _resolve(name)
            if obj is None:
                continue
            if isinstance(obj, types.ModuleType):
                prefixes.append(name)
                continue
            targets[id(obj)] = (name, obj)
            for v in (vars(obj).values() if isinstance(obj, type) else (obj,)):
                code = getattr(getattr(v, "__func__", v), "__code__", None)
                if code is not None:
                    codes.add(code)
        if targets:  # every binding of a forbidden object: looked up in the index, walked in newer modules
            index, indexed = _bindings()
            for tid, (name, obj) in targets.items():
                for modname, k in index.get(tid, ()):
                    mod = sys.modules.get(modname)
                    d = getattr(mod, "__dict__", None) if mod is indexed.get(modname) else None
                    if type(d) is dict and d.get(k) is obj:
                        self._replace(d, k, obj, name)
            ids = targets.keys()
            for modname, mod in list(sys.modules.items()):
                d = getattr(mod, "__dict__", None)
                if indexed.get(modname) is mod or type(d) is not dict or ids.isdisjoint(map(id, list(d.values()))):
                    continue
                for k, v in list(d.items()):
                    hit = targets.get(id(v))
                    if hit is not None and hit[1] is v:
                        self._replace(d, k, v, hit[0])
        if targets or prefixes:
            prefixes, hits = tuple(prefixes), self.guard.hits

            def hook(frame, event, arg):  # a use through a path the scan could not replace
                if event == "call":
                    name = frame.f_globals.get("__name__", "")
                    found = frame.f_code in codes and frame.f_code.co_qualname
                elif event == "c_call":
                    found = id(arg) in targets and targets[id(arg)][0]
                    name = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
                else:
                    return
                found = found or (isinstance(name, str) and _is_under(name, prefixes))
                if found and found not in hits:
                    hits.append(found)
            sys.setprofile(hook)
            self.hooked = True
        return self

    def _replace(self, d: dict, k, v, name: str) -> None:
        self.saved.append((d, k, v))
        d[k] = _Tripwire(name, self.guard.hits)

    def __exit__(self, *exc):
        if self.hooked:
            sys.setprofile(None)
        for d, k, v in reversed(self.saved):
            d[k] = v
        return False


_INDEX: tuple[dict, dict] | None = None


def index_bindings() -> None:
    """Take the index of where each object is bound: ``id(value) -> [(module name, key)]`` over the
    dictionaries of the modules loaded now, with those modules (name -> module, kept so that none is taken
    for another)."""
    global _INDEX
    index, modules = {}, {}
    for name, mod in list(sys.modules.items()):
        d = getattr(mod, "__dict__", None)
        if type(d) is not dict:
            continue
        modules[name] = mod
        for k, v in d.items():
            index.setdefault(id(v), []).append((name, k))
    _INDEX = (index, modules)


def _bindings() -> tuple[dict, dict]:
    if _INDEX is None:  # a sandbox without a zygote: taken at its first call that forbids an object
        index_bindings()
    return _INDEX


def warm() -> None:
    """What the zygote does before its first fork, so that no submission's process repeats it: torch's first
    forward and backward through a module (on the CPU: CUDA must not be initialised before a fork; no random
    number is drawn), the index of bindings, and a GC freeze (no collection in a child walks, and so copies,
    the pages of the zygote's objects)."""
    if "torch" in sys.modules:
        import torch

        class _Warm(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = torch.nn.Parameter(torch.zeros(2, 2))

            def forward(self, x):
                return torch.tanh(x @ self.weight)
        try:
            torch_module_grads(_Warm, (), {"weight": np.eye(2)}, (np.ones((1, 2)),), (np.ones((1, 2)),),
                               device="cpu")
        except Exception:  # noqa: BLE001 - only a head start: each child then does this itself
            pass
    index_bindings()
    gc.freeze()


def _resolve(dotted: str):
    parts = dotted.split(".")
    obj = sys.modules.get(parts[0])
    if obj is None:
        return None
    for p in parts[1:]:
        nxt = sys.modules.get(f"{obj.__name__}.{p}") if isinstance(obj, type(sys)) else None
        obj = nxt if nxt is not None else getattr(obj, p, None)
        if obj is None:
            return None
    return obj


class _IPythonStub:
    """What ``get_ipython()`` gives cells that used magics (transformed by the grader as IPython does):
    line and cell magics and shell commands are skipped and reported, never run."""

    def __init__(self, skipped):
        self.skipped = skipped

    def run_line_magic(self, name, line, *a, **k):
        self.skipped.append(f"%{name}")

    def run_cell_magic(self, name, line, cell, *a, **k):
        self.skipped.append(f"%%{name}")

    def system(self, cmd, *a, **k):
        self.skipped.append("!" + str(cmd)[:40])

    getoutput = system


def torch_module_grads(cls, ctor_args, state, inputs, grad_outputs, *, dtype="float64", device=None):
    """Build ``cls(*ctor_args)``, load ``state`` (name -> array), run ``module(*inputs)`` and backward
    ``sum(out * g)`` for each output and its ``grad_outputs`` array.

    inputs: arrays (each requires grad) or tuples of arrays (a state such as ``(h0, c0)``), or None (omitted
    when trailing). Returns ``(outputs, input grads in order, parameter grads in state's order)``, all on the
    CPU as float64 NumPy arrays. The device is CUDA when available unless ``device`` is given; outputs on
    another device than the inputs' are an error.
    """
    import torch

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dt = getattr(torch, dtype)
    module = cls(*ctor_args).to(device=dev, dtype=dt)
    module.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state.items()})
    leaves = []

    def t(a):
        x = torch.as_tensor(np.asarray(a), dtype=dt, device=dev).requires_grad_(True)
        leaves.append(x)
        return x

    args = []
    for a in inputs:
        args.append(None if a is None else tuple(t(x) for x in a) if isinstance(a, (tuple, list)) else t(a))
    while args and args[-1] is None:
        args.pop()
    out = module(*args)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if len(outs) != len(grad_outputs):
        raise ValueError(f"expected {len(grad_outputs)} outputs from forward, got {len(outs)}")
    for o in outs:
        if not isinstance(o, torch.Tensor):
            raise TypeError(f"forward returned a {type(o).__name__}, expected torch.Tensor")
        if o.device.type != dev.type:
            raise AssertionError(f"outputs on {o.device}, expected {dev} (the input's device)")
    loss = sum((o * torch.as_tensor(np.asarray(g), dtype=dt, device=dev)).sum() for o, g in zip(outs, grad_outputs))
    loss.backward()
    params = dict(module.named_parameters())
    missing = [k for k in state if k not in params]
    if missing:
        raise KeyError(f"the module has no parameter named {missing[0]!r}")

    def np64(x):
        return np.zeros(0) if x is None else x.detach().to("cpu", torch.float64).numpy().copy()
    return (tuple(np64(o) for o in outs), tuple(np64(x.grad) for x in leaves),
            tuple(np64(params[k].grad) for k in state))


class Driver:
    def __init__(self, ch: wire.Channel):
        self.ch = ch
        self.objects: dict[int, object] = {}
        self.ns: dict = {}
        self.guard: _Guard | None = None
        self.skipped: list[str] = []

    def keep(self, obj) -> int:
        k = len(self.objects) + 1
        self.objects[k] = obj
        return k

    def get(self, k):
        if k not in self.objects:
            raise wire.WireError(f"unknown sandbox object {k}")
        return self.objects[k]

    def stub(self, cb_id, sync):
        """A callable that asks the grader to run its callback ``cb_id``; ``sync`` names argument positions
        of the current call whose current contents travel with each callback (arrays changed in place)."""
        def call(*args):
            extra = tuple(self.current_args[i] for i in sync) if sync else ()
            spec, payload = wire.encode((args, extra), handle=self.keep)
            self.ch.send({"op": "callback", "id": cb_id, "value": spec}, payload)
            header, payload = self.ch.recv()
            if header.get("op") == "error":
                raise RuntimeError(str(header.get("message", "callback failed"))[:MAX_MESSAGE])
            return wire.decode(header.get("value"), payload, handle=self.get)
        return call

    def exec_cells(self, header):
        self.guard = _Guard(tuple(header.get("always_forbidden", ())) + GRADER_PACKAGES)
        sys.meta_path.insert(0, self.guard)
        for name in [m for m in sys.modules if _is_under(m, self.guard.always)]:
            del sys.modules[name]
        self.ns = {"__name__": "__main__", "__builtins__": builtins,
                   "get_ipython": (lambda stub=_IPythonStub(self.skipped): stub)}
        error = None
        for label, src, tolerant in header.get("cells", ()):
            if tolerant:  # the instructor's set-up: statement by statement, failures skipped (an import of
                try:      # the grader's package, absent here, must not stop the rest)
                    parts = [compile(ast.Module([st], []), f"<{label}>", "exec") for st in ast.parse(src).body]
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    parts = []
            else:
                try:
                    parts = [compile(src, f"<{label}>", "exec")]
                except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                    error = error or {"cell": label, "type": type(exc).__name__}
                    continue
            n_hits = len(self.guard.hits)
            for code in parts:
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        exec(code, self.ns)
                except SystemExit:
                    if not tolerant:
                        error = error or {"cell": label, "type": "SystemExit"}
                except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
                    if not tolerant:
                        error = error or {"cell": label, "type": type(exc).__name__}
            if tolerant:  # the instructor's own import of the grader (absent here) is not the student's
                del self.guard.hits[n_hits:]
        return {"op": "ready", "error": error, "skipped": sorted(set(self.skipped)),
                "forbidden": sorted(set(self.guard.hits))}

    def call(self, header, payload):
        sync = header.get("sync") or {}
        self.current_args = ()

        def cb(k):
            return self.stub(k, sync.get(str(k), ()))
        args = wire.decode(header["args"], payload, handle=self.get, callback=cb)
        args = tuple(copy.deepcopy(a) if not callable(a) else a for a in args)
        self.current_args = args
        op = header.get("op")
        self.guard.hits.clear()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), self.guard.absent(header.get("forbidden", ())):
                warnings.simplefilter("ignore")
                if op == "module":
                    cls = self.ns[header["fn"]]
                    result = torch_module_grads(cls, *args, dtype=header.get("dtype", "float64"))
                else:
                    result = self.ns[header["fn"]](*args)
        except BaseException as exc:  # noqa: BLE001
            msg = None
            if header.get("reveal"):
                try:
                    msg = str(exc)[:MAX_MESSAGE]
                except BaseException:  # noqa: BLE001 - a __str__ that raises
                    msg = "(no message)"
            kind = "KeyError:name" if isinstance(exc, KeyError) and op == "call" and header["fn"] not in self.ns \
                else type(exc).__name__ if type(exc).__module__ == "builtins" else "an exception of the student's"
            return {"op": "raise", "type": kind, "message": msg, "forbidden": sorted(set(self.guard.hits))}, b""
        body = (result, args) if header.get("return_args") else (result,)
        spec, out = wire.encode(body, handle=self.keep)
        return {"op": "return", "value": spec, "forbidden": sorted(set(self.guard.hits))}, out

    def serve(self):
        while True:
            try:
                header, payload = self.ch.recv()
            except EOFError:
                return
            op = header.get("op")
            if op == "exec":
                reply, out = self.exec_cells(header), b""
            elif op in ("call", "module"):
                try:
                    reply, out = self.call(header, payload)
                except wire.WireError as exc:
                    reply, out = {"op": "raise", "type": "WireError", "message": str(exc)[:MAX_MESSAGE]}, b""
            else:
                return
            self.ch.send(reply, out)


def _outputs() -> None:
    """stdin from /dev/null; stdout and stderr to output.txt in the working folder."""
    out = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in (null, out):
        os.close(fd)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)


def _serve_child(rfd: int, wfd: int, ch: wire.Channel) -> None:
    """A zygote's grandchild, isolated (see :mod:`zygote`): the submission's driver from here on."""
    _outputs()
    ch.send({"op": "started", "t": time.monotonic(), "pid": os.getpid()})
    Driver(ch).serve()


def main() -> None:
    """Entry point in the sandbox: fds 3 (from the grader) and 4 (to it); stdout/stderr to output.txt.
    With ``zygote`` in the start message, fd 3 is a Unix socket and this process forks one isolated child per
    submission (:mod:`zygote`) instead of serving one itself."""
    rfd, wfd = os.dup(3), os.dup(4)
    for fd in (3, 4):
        os.close(fd)
    _outputs()
    ch = wire.Channel(rfd, wfd)
    header, _ = ch.recv()  # "start": what to preload before the submission's code arrives
    if header.get("torch"):
        import torch
        torch.set_num_threads(1)
    if header.get("zygote"):
        import zygote
        warm()
        os.close(wfd)            # fds 3 and 4 were the one socket
        wire.Channel(rfd, rfd).send({"op": "started", "t": time.monotonic(), "pid": os.getpid()})
        zygote.serve(rfd, header["zygote"], _serve_child)
        return
    ch.send({"op": "started", "t": time.monotonic()})
    Driver(ch).serve()


if __name__ == "__main__":
    main()
