# Redefines numpy.testing.assert_allclose, np.allclose and abs, then answers wrongly.
# expect-zero: ch02_rnn_step_forward
# expect-full: ch02_rnn_forward ch02_softmax_temperature ch02_sample_chars
# %% ch02-ex1-solution
import numpy as np
import numpy.testing
import builtins
numpy.testing.assert_allclose = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
builtins.abs = lambda x: 0 * x
abs = lambda x: 0 * x
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.zeros((x.shape[0], Wh.shape[0])), None
