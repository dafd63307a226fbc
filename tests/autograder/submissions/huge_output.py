# Prints without end.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    while True:
        print("x" * 100000)
