# Tries to reach the network (to fetch answers); must fail without hanging, and score 0.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import socket
import numpy as np
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    s = socket.create_connection(("1.1.1.1", 80), timeout=2)
    s.close()
    return np.tanh(x @ Wx + prev_h @ Wh + b), None
