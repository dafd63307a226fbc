# A near copy of the reference's sample_chars (names, comments, docstring changed): correct, but flagged.
# expect-full: all
# expect-flag: sample_chars
# %% ch02-ex4-solution
import numpy as np

def softmax_temperature(scores, temperature):
    z = scores / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):
    """My own sampler, honest."""
    N, T = u.shape
    V = Wx.shape[0]
    state, chars = h0, np.asarray(c0)
    result = np.empty((N, T), dtype=np.int64)
    for t in range(T):
        state = np.tanh(Wx[chars] + state @ Wh + b)  # my idea(chars) Wx is row chars of Wx: (N, H)
        p = softmax_temperature(state @ Wy + by, temperature)  # (N, V)
        chars = np.minimum((np.cumsum(p, axis=1) <= u[:, t:t + 1]).sum(axis=1), V - 1)  # (N,)
        result[:, t] = chars
    return result
