# The instructor's solutions, with a harmless print in the first solution cell.
# assignment: 05_lstm
# class: honest
# expect-full: all
# %% ch05-ex1-solution
print("working on lstm_step_forward")


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    print("step done", next_h.shape)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)
