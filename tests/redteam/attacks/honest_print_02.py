# The instructor's solutions, with a harmless print at the top of the first solution cell.
# assignment: 02_rnn
# class: honest
# expect-full: all
# %% ch02-ex1-solution
print("working on rnn_step_forward")


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    print("step done", next_h.shape)
    return next_h, (x, prev_h, Wx, Wh, next_h)
