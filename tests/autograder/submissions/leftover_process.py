# Starts processes that try to outlive the grading (a new session and a double fork).
# expect-full: ch02_rnn_step_forward
# expect-no-process: 98765
# %% ch02-ex1-solution
import os, subprocess
import numpy as np
try:
    subprocess.Popen(["sleep", "98765"], start_new_session=True)
except Exception:
    pass
try:
    if os.fork() == 0:
        os.setsid()
        os.execvp("sleep", ["sleep", "98765"])
except Exception:
    pass
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, None
