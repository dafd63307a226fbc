# A correct answer whose code prints a numpy overflow warning: warnings never cost points.
# expect-full: all
# %% ch02-ex1-solution
import numpy as np
import warnings
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    np.exp(np.array([1000.0]))            # RuntimeWarning: overflow
    warnings.warn("just a warning")
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)
