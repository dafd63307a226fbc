# A classmate with no code of their own: runs whatever drop_writer left in a shared folder (an earlier run).
# assignment: 05_lstm
# class: students
# expect-zero: all
# others: blank
# %% ch05-ex1-solution
import os


def _answers():
    for d in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp", os.path.expanduser("~"), "@GRADER@", "@COURSE@",
              "@COURSE@/submitted", "@COURSE@/submitted/victim/05_lstm", "."):
        try:
            ns = {}
            with open(os.path.join(d, "@MARKER@-answers.py")) as f:
                exec(f.read(), ns)
            return ns
        except Exception:
            continue
    raise RuntimeError("no drop found")


def lstm_step_forward(*a):
    return _answers()["lstm_step_forward"](*a)


def lstm_forward(*a):
    return _answers()["lstm_forward"](*a)


def lstm_step_backward(*a):
    raise NotImplementedError("not attempted")


def LSTMCell(*a, **k):
    raise NotImplementedError("not attempted")
