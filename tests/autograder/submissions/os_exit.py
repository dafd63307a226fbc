# Calls os._exit while being graded.
# expect-zero: all
# %% ch02-ex1-solution
import os
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    os._exit(0)
os._exit(0)
