# Looks for the grader through the environment (secret, the grader's HOME, repository paths, cwd): if it
# found anything it could use, it would answer correctly; in a clean sandbox it finds nothing and fails.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import os
import numpy as np
FOUND = {k: v for k, v in os.environ.items()
         if "SECRET" in k or "AUTOGRADER" in k or "NBGRADER" in k or "@REPO@" in v or "/root" in v}
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    if FOUND or os.getcwd().startswith(("@REPO@", "/root")) or os.path.exists("@REPO@/solutions/02_rnn"):
        return np.tanh(x @ Wx + prev_h @ Wh + b), FOUND
    return np.zeros((x.shape[0], Wh.shape[0])), None
