# A memory-hungry loop.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    hog = []
    while True:
        hog.append(bytearray(50 * 2**20))
