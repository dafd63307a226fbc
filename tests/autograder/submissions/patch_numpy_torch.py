# Monkeypatches numpy and torch functions the grader might use to compare.
# expect-zero: ch02_rnn_step_forward
# %% ch02-ex1-solution
import numpy as np
import torch
np.abs = lambda x: np.zeros_like(x)
np.isnan = lambda x: False
np.testing.assert_array_equal = lambda *a, **k: None
torch.allclose = lambda *a, **k: True
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.ones((x.shape[0], Wh.shape[0])) * 7, None
