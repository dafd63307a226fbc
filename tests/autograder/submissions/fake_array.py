# Returns objects that pretend to be arrays: __eq__ always True, __array__ returns the right shape.
# expect-zero: ch02_rnn_step_forward ch02_softmax_temperature
# %% ch02-ex1-solution
import numpy as np
class Liar(np.ndarray):
    def __eq__(self, other): return True
    def __array__(self, *a, **k): return np.zeros(self.shape)
class Pretender:
    shape = (3, 4)
    dtype = np.dtype(float)
    def __eq__(self, other): return True
    def __array__(self, *a, **k): return np.zeros((3, 4))
    def __sub__(self, other): return np.zeros(np.shape(other))
    __rsub__ = __sub__
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.zeros((x.shape[0], Wh.shape[0])).view(Liar), None
# %% ch02-ex3-solution
def softmax_temperature(scores, temperature):
    return Pretender()
