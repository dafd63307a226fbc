# The torch exercise answered with torch.nn.LSTMCell itself, spelled so that no static scan resolves it.
# assignment: 05_lstm
# class: forbidden
# expect-zero: ch05_lstm_cell_torch
# expect-full: ch05_lstm_step_forward ch05_lstm_step_backward ch05_lstm_forward
# %% ch05-ex4-solution
class LSTMCell(getattr(torch.nn, "LSTM" + "Cell")):
    """Mine."""
