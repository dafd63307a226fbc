"""From-scratch PyTorch reference: recurrent modules built step by step from tensor operations
(never ``torch.nn.RNN/LSTM/GRU`` or ``torch._VF``), attention, and the NumPy ↔ torch weight layout.

Modules take ``torch.nn``'s constructor arguments and parameter names, so state dicts load both ways.
Device and dtype come from the data.
"""

from .device import *  # noqa: F401,F403
from .layout import *  # noqa: F401,F403
from .cells import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .lstm import *  # noqa: F401,F403
from .gru import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .multihead import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .logscan import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from . import decode  # noqa: F401  (greedy_decode, beam_search: the twins of rnnbook.numpy's, by module)
