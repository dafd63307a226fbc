# Reads the grader's --source folder from its command line in /proc, and copies the notebook there.
# assignment: 05_lstm
# class: solutions
# include: _steal_common.py
# others: blank
# expect-zero: all
# %% ch05-ex1-solution
def _candidates():
    out = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")
        except Exception:
            continue
        if "--source" in argv:
            src = argv[argv.index("--source") + 1]
            out += glob.glob(os.path.join(src, "*", "exercises.ipynb"))
            out += [f"/proc/{pid}/root" + os.path.join(src, "05_lstm", "exercises.ipynb")]
    return out
