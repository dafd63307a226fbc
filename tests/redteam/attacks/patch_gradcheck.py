# A backward pass of zeros, with the grader's gradient check replaced (module attributes and the function's own
# code object) so that the gradient-check cases pass. The other exercises are the instructor's solutions.
# assignment: 05_lstm
# class: grader-code
# expect-zero: ch05_lstm_step_backward
# expect-full: ch05_lstm_step_forward ch05_lstm_forward ch05_lstm_cell_torch
# %% ch05-ex2-solution
import gc, sys
import numpy as np


def _always_ok(f, arrays, analytic, *args, **kwargs):
    return np.ones(len(arrays))


for _name, _mod in list(sys.modules.items()):
    try:
        if getattr(_mod, "gradcheck_flags", None) is not None:
            _mod.gradcheck_flags = _always_ok
    except Exception:
        pass
for _o in gc.get_objects():
    try:
        if getattr(_o, "__name__", None) == "gradcheck_flags" and hasattr(_o, "__code__") and _o is not _always_ok:
            _o.__code__ = _always_ok.__code__
    except Exception:
        pass


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, b = cache[:6]
    return (np.zeros_like(x), np.zeros_like(prev_h), np.zeros_like(prev_c), np.zeros_like(Wx), np.zeros_like(Wh),
            np.zeros_like(b))
