# Error text meant for the instructor's terminal: ANSI escapes (clear screen, colours, cursor moves) and a newline
# that starts a forged row, both from a solution cell at exec time (the table's notes) and from a call (-v feedback).
# assignment: 02_rnn
# class: instructor
# expect-zero: ch02_rnn_forward
# %% ch02-ex1-solution
_ESC = chr(27)
_FORGED = "\r\nFORGED-ROW-@MARKER@  12  12  0.10  \n" + _ESC + "[2J" + _ESC + "[H" + _ESC + "[32mall good" + _ESC + "[0m"


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)


raise RuntimeError(_ESC + "[31m" + "exec" + _FORGED)
# %% ch02-ex2-solution
def rnn_forward(x, h0, Wx, Wh, b):
    raise RuntimeError(_ESC + "[1A" + "call" + _FORGED)
