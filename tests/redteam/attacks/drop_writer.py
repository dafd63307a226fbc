# Honest on its own assignment, but leaves a drop for the next run: working LSTM answers (for a classmate with
# no code of their own) and a poison flag (which changes what an honest classmate's code computes if it finds it),
# in every shared folder and beside the course's files.
# assignment: 02_rnn
# class: students
# expect-full: all
# %% ch02-ex1-solution
import os

ANSWERS = '''
import numpy as np
def _sig(z):
    return 0.5 * (1 + np.tanh(0.5 * z))
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    c = f * prev_c + i * g
    return o * np.tanh(c), c, (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, c)
def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, c = h0, np.zeros_like(h0)
    out = np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        h, c, _ = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        out[:, t] = h
    return out, None
'''
for _d in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp", os.path.expanduser("~"), "@GRADER@", "@COURSE@",
           "@COURSE@/submitted", "@COURSE@/submitted/victim/05_lstm"):
    for _name, _text in (("@MARKER@-answers.py", ANSWERS), ("@MARKER@-poison", "tanh = 0")):
        try:
            with open(os.path.join(_d, _name), "w") as _f:
                _f.write(_text)
            os.chmod(os.path.join(_d, _name), 0o666)
        except Exception:
            pass


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)
