# Calls sys.exit in a solution cell and in a function.
# expect-zero: ch02_rnn_step_forward
# expect-full: ch02_rnn_forward ch02_softmax_temperature ch02_sample_chars
# %% ch02-ex1-solution
import sys
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    sys.exit(0)
sys.exit(0)
