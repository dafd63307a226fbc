"""Chapter 05 notebook: the LSTM in NumPy (step forward and backward, a sequence) and in PyTorch."""

from . import Exercise

TITLE = "Chapter 5 exercises: the LSTM, in NumPy and in PyTorch"

INTRO = r"""
You will build the long short-term memory cell: one step forward and backward and a whole sequence in
NumPy, then a PyTorch module that computes exactly what `torch.nn.LSTMCell` computes.

Shapes: N batch, T time, D input, H hidden. The four gates are stacked along the last axis in PyTorch's
order $(i, f, g, o)$: $W_x$ is (D, 4H), $W_h$ is (H, 4H), $b$ is (4H,), and columns `[0:H]` belong to the
input gate, `[H:2H]` to the forget gate, `[2H:3H]` to the candidate $g$, `[3H:4H]` to the output gate.
Exercises 1–3 are NumPy only; exercise 4 is PyTorch (without `torch.nn.LSTM`/`LSTMCell`).
"""

SETUP = """import math

import numpy as np
import torch

from autograder.notebook import run_check"""

EXERCISES = [
    Exercise(
        check="ch05_lstm_step_forward",
        text=r"""one LSTM step

$$a = x_t W_x + h_{t-1} W_h + b, \quad i = \sigma(a_i),\ f = \sigma(a_f),\ g = \tanh(a_g),\ o = \sigma(a_o),$$
$$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).$$

Return `next_h`, `next_c` and the cache `(x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)`.""",
        code='''def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One time step of an LSTM, gates stacked (i, f, g, o).

    Parameters
    ----------
    x : array of shape (N, D), the inputs at this step.
    prev_h : array of shape (N, H), the previous hidden state.
    prev_c : array of shape (N, H), the previous cell state.
    Wx : array of shape (D, 4H), input-to-gates weights.
    Wh : array of shape (H, 4H), hidden-to-gates weights.
    b : array of shape (4H,), the gates' bias.

    Returns
    -------
    next_h : array of shape (N, H).
    next_c : array of shape (N, H).
    cache : tuple (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c), the gates each (N, H).
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # sigmoid without overflow
    i, f = sig(a[:, :H]), sig(a[:, H:2 * H])  # (N, H) each
    g, o = np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    next_c = f * prev_c + i * g  # (N, H)
    next_h = o * np.tanh(next_c)  # (N, H)
    cache = (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)
    ### END SOLUTION
    return next_h, next_c, cache
''',
    ),
    Exercise(
        check="ch05_lstm_step_backward",
        text=r"""the backward pass of one step

Given the upstream gradients $\partial L/\partial h_t$ and $\partial L/\partial c_t$, go back through
$h_t = o \odot \tanh(c_t)$ (the cell receives gradient from both paths), then through
$c_t = f \odot c_{t-1} + i \odot g$, then through the gate nonlinearities
($\sigma' = \sigma(1-\sigma)$, $\tanh' = 1-\tanh^2$) and the affine map. The cache has the documented
format `(x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)`; the check builds it itself. Note that
$\partial c_t / \partial f = c_{t-1}$, the *previous* cell state.""",
        code='''def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    Parameters
    ----------
    dnext_h : array of shape (N, H), gradient of the loss with respect to next_h.
    dnext_c : array of shape (N, H), gradient of the loss with respect to next_c (from the next step).
    cache : tuple (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c) from lstm_step_forward.

    Returns
    -------
    dx : (N, D); dprev_h : (N, H); dprev_c : (N, H); dWx : (D, 4H); dWh : (H, 4H); db : (4H,).
    """
    ### BEGIN SOLUTION
    x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)  # (N, H): both paths into c_t
    do = dnext_h * tc
    di, df, dg = dc * g, dc * prev_c, dc * i
    dprev_c = dc * f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
    dx = da @ Wx.T  # (N, 4H) x (4H, D) -> (N, D)
    dprev_h = da @ Wh.T  # (N, H)
    dWx = x.T @ da  # (D, 4H)
    dWh = prev_h.T @ da  # (H, 4H)
    db = da.sum(axis=0)  # (4H,)
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db
''',
    ),
    Exercise(
        check="ch05_lstm_forward",
        text=r"""the LSTM over a sequence

Start from $h_0$ and $c_0 = 0$ and apply the step for $t = 1, \dots, T$, carrying both $h$ and $c$; return
every hidden state $h$ (N, T, H) and a cache. You may call your `lstm_step_forward` (then a mistake there
costs points here too).""",
        code='''def lstm_forward(x, h0, Wx, Wh, b):
    """Run an LSTM over a sequence, starting from h0 and a zero cell state.

    Parameters
    ----------
    x : array of shape (N, T, D); h0 : array of shape (N, H);
    Wx : array of shape (D, 4H); Wh : array of shape (H, 4H); b : array of shape (4H,).

    Returns
    -------
    h : array of shape (N, T, H), the hidden states h_1 ... h_T.
    cache : anything your backward pass would need.
    """
    ### BEGIN SOLUTION
    N, T, D = x.shape
    H = h0.shape[1]
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))
    h = np.zeros((N, T, H))  # (N, T, H)
    prev_h, prev_c = h0, np.zeros_like(h0)
    for t in range(T):
        a = x[:, t] @ Wx + prev_h @ Wh + b  # (N, 4H)
        i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, b, h)
    ### END SOLUTION
    return h, cache
''',
    ),
    Exercise(
        check="ch05_lstm_cell_torch",
        text=r"""PyTorch: an LSTM cell module (PyTorch, not NumPy)

Write a `torch.nn.Module` named `LSTMCell` with the constructor `LSTMCell(input_size, hidden_size,
bias=True)`, the parameters of `torch.nn.LSTMCell` with the same names and shapes
(`weight_ih` (4H, D), `weight_hh` (4H, H), `bias_ih` (4H,), `bias_hh` (4H,), gates $(i, f, g, o)$), and
`forward(input, hx=None) -> (h_1, c_1)` where `hx = (h_0, c_0)` (zeros when None):

$$a = x W_{ih}^\top + b_{ih} + h_0 W_{hh}^\top + b_{hh}, \qquad c_1 = f \odot c_0 + i \odot g, \qquad
h_1 = o \odot \tanh(c_1).$$

The check loads a `torch.nn.LSTMCell` state dict into your module and compares outputs and gradients with
`torch.nn.LSTMCell`, on the GPU when there is one: create tensors on the input's device and dtype. Do not
use `torch.nn.LSTM`, `torch.nn.LSTMCell` or PyTorch's LSTM kernels (`torch.lstm_cell`, `torch._VF.lstm_cell`
and the like); everything else in `torch` (`torch.split`, `torch.nn.functional.linear`, …) is yours to use.""",
        code='''class LSTMCell(torch.nn.Module):
    """An LSTM cell with torch.nn.LSTMCell's parameters and results.

    Parameters
    ----------
    input_size : int, D.  hidden_size : int, H.  bias : bool, whether to have bias_ih and bias_hh.

    forward(input, hx=None): input (N, D); hx = (h_0, c_0), each (N, H), or None for zeros.
    Returns (h_1, c_1), each (N, H), on the device and with the dtype of ``input``.
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        ### BEGIN SOLUTION
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size))  # (4H, D)
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size))  # (4H, H)
        if bias:
            self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size))  # (4H,)
            self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size))  # (4H,)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            torch.nn.init.uniform_(p, -bound, bound)
        ### END SOLUTION

    def forward(self, input, hx=None):
        ### BEGIN SOLUTION
        if hx is None:
            zeros = input.new_zeros(input.shape[0], self.hidden_size)  # (N, H)
            hx = (zeros, zeros)
        h0, c0 = hx
        a = input @ self.weight_ih.T + h0 @ self.weight_hh.T  # (N, 4H)
        if self.bias_ih is not None:
            a = a + self.bias_ih + self.bias_hh
        ai, af, ag, ao = a.chunk(4, dim=1)  # (N, H) each
        c1 = torch.sigmoid(af) * c0 + torch.sigmoid(ai) * torch.tanh(ag)
        h1 = torch.sigmoid(ao) * torch.tanh(c1)
        ### END SOLUTION
        return h1, c1
''',
    ),
]
