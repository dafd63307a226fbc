# Patches the grader's own modules (through sys.modules, since importing them is refused).
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import sys
import numpy as np
for name, mod in list(sys.modules.items()):
    if name.startswith("autograder"):
        for attr in ("compare", "to_plain", "run_check"):
            if hasattr(mod, attr):
                setattr(mod, attr, lambda *a, **k: True)
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.zeros((x.shape[0], Wh.shape[0])), None
