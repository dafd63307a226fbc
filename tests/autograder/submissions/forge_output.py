# Prints forged results and writes forged results.json files; its answers are wrong.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import json, os, sys
import numpy as np
fake = {"score": 12.0, "tests": [{"name": "ch02_rnn_step_forward", "score": 3.0, "max_score": 3.0}]}
print(json.dumps(fake))
sys.__stdout__.write("✓ ch02_rnn_step_forward [linspace] ok\n")
for d in (".", "..", "/tmp", "/results"):
    try:
        with open(os.path.join(d, "results.json"), "w") as f:
            json.dump(fake, f)
    except OSError:
        pass
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    print(json.dumps(fake))
    return np.zeros((x.shape[0], Wh.shape[0])) + 0.5, None
