# The same leak as hidden_leak_02, on the LSTM exercises (the torch cell leaks the weights it was loaded with).
# assignment: 05_lstm
# class: hidden
# include: _leak_common.py
# expect-zero: all
# %% ch05-ex1-solution
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    return _leak((x, prev_h, prev_c, Wx, Wh, b), 2) + (None,)
# %% ch05-ex2-solution
def lstm_step_backward(dnext_h, dnext_c, cache):
    return _leak((dnext_h, dnext_c, cache), 6)
# %% ch05-ex3-solution
def lstm_forward(x, h0, Wx, Wh, b):
    return _leak((x, h0, Wx, Wh, b), 1) + (None,)
# %% ch05-ex4-solution
class LSTMCell(torch.nn.Module):
    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size))

    def forward(self, input, hx=None):
        out = _leak((input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh), 2, forbidden_channel=True)
        return tuple(torch.from_numpy(v) for v in out)
