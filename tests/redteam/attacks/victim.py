# Honest code that also looks for a file in the shared folders (as a student's debugging hook might); if a drop
# is there, its behaviour changes (np.tanh replaced), so a drop that reaches it costs it marks.
# assignment: 05_lstm
# class: students
# expect-full: all
# %% ch05-ex1-solution
import os

for _d in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp", os.path.expanduser("~"), "@GRADER@", "@COURSE@",
           "@COURSE@/submitted", "@COURSE@/submitted/victim/05_lstm", "."):
    if os.path.exists(os.path.join(_d, "@MARKER@-poison")):
        np.tanh = lambda z: 0.0 * z


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)
