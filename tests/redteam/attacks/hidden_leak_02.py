# Puts every float it receives (visible and hidden cases alike) into every channel it can reach: an exception's
# class name (not truncated today), its message, stdout, file names in every writable folder, a forbidden import's
# name and the import guard's record of hits (both reported), and outputs of the wrong shape that carry the values.
# assignment: 02_rnn
# class: hidden
# include: _leak_common.py
# expect-zero: all
# %% ch02-ex1-solution
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return _leak((x, prev_h, Wx, Wh, b), 2)
# %% ch02-ex2-solution
def rnn_forward(x, h0, Wx, Wh, b):
    return _leak((x, h0, Wx, Wh, b), 2)
# %% ch02-ex3-solution
def softmax_temperature(scores, temperature):
    return _leak((scores, temperature), 0)
# %% ch02-ex4-solution
def sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):
    return _leak((h0, Wx, Wh, b, Wy, by, temperature, u), 0, forbidden_channel=True)
