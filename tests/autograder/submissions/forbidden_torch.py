# Uses torch (forbidden in chapter 2) to compute a correct step.
# expect-zero: ch02_rnn_step_forward
# expect-message: forbid
# expect-full: ch02_softmax_temperature
# %% ch02-ex1-solution
import torch as T
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    f = getattr(T, "tanh")
    a = T.from_numpy(x @ Wx + prev_h @ Wh + b)
    return f(a).numpy(), None
