# Imports the reference implementation, statically and dynamically.
# expect-zero: ch02_rnn_step_forward ch02_rnn_forward
# expect-message: forbid
# %% ch02-ex1-solution
from autograder.reference.ch02 import rnn_step_forward as _ref
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return _ref(x, prev_h, Wx, Wh, b)
# %% ch02-ex2-solution
import importlib
def rnn_forward(x, h0, Wx, Wh, b):
    mod = importlib.import_module("rnn" + "book.numpy")
    return mod.rnn_forward(x, h0, Wx, Wh, b)
