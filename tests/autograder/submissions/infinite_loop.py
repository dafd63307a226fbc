# An infinite loop inside one function: it costs that exercise, and a fresh sandbox grades the others.
# expect-zero: ch02_rnn_step_forward
# expect-full: ch02_rnn_forward ch02_softmax_temperature ch02_sample_chars
# expect-message: time limit
# %% ch02-ex1-solution
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    while True:
        pass
