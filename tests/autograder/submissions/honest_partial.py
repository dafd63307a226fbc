# An honest, partly correct submission: softmax without the max shift overflows on large scores.
# expect-partial: ch02_softmax_temperature
# expect-full: ch02_rnn_step_forward ch02_rnn_forward ch02_sample_chars
# %% ch02-ex3-solution
import numpy as np
def softmax_temperature(scores, temperature):
    e = np.exp(scores / temperature)
    return e / e.sum(axis=1, keepdims=True)
