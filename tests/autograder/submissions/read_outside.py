# Reads the instructor's solutions and the reference from the repository to copy their answer. Each file is tried
# on its own, so that one unreadable file cannot hide that another one was readable.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import glob, json, os
def _copied():
    for p in glob.glob("@REPO@/solutions/02_rnn/exercises.ipynb"):
        try:
            ns = {}
            for cell in json.load(open(p))["cells"]:
                if cell["cell_type"] == "code" and not cell["metadata"].get("nbgrader", {}).get("grade"):
                    exec("".join(cell["source"]), ns)
            return ns["rnn_step_forward"]
        except Exception:
            pass
    for pattern in ("@REPO@/autograder/reference/ch02.py", "@REPO@/rnnbook/numpy/rnn.py", os.path.expanduser("~") + "/*"):
        for p in glob.glob(pattern):
            try:
                ns = {}
                exec(open(p).read(), ns)
                return ns["rnn_step_forward"]
            except Exception:
                pass
    raise RuntimeError("nothing found to copy")
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return _copied()(x, prev_h, Wx, Wh, b)
