# An infinite loop inside one function.
# expect-zero: all
# expect-message: time limit
# %% ch02-ex1-solution
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    while True:
        pass
