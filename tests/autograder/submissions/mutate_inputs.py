# Zeroes its inputs in place, hoping the reference sees the mutated arrays, and answers wrongly.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import numpy as np
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    for a in (x, prev_h, Wx, Wh, b):
        a[...] = 0
    return np.tanh(x @ Wx + prev_h @ Wh + b), None
