# Leaves processes (a new session, a double fork, exec'd sleeps whose command line carries a marker) and files
# (in every shared folder). Honest answers otherwise.
# assignment: 02_rnn
# class: leftovers
# expect-full: all
# %% ch02-ex1-solution
import os, subprocess

for _d in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp", os.path.expanduser("~")):
    try:
        with open(os.path.join(_d, "@MARKER@-leftover"), "w") as _f:
            _f.write("left behind")
    except Exception:
        pass
try:
    subprocess.Popen(["sleep", "@SLEEP@"], start_new_session=True, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
except Exception:
    pass
try:
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "@SLEEP@"])
        finally:
            os._exit(0)
except Exception:
    pass


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)
