"""NumPy reference implementation, one small module per concept.

Shape letters, fixed for the whole package:

    N  batch size          T  sequence length (time steps)
    D  input size          H  hidden size
    V  vocabulary size     C  number of classes
    S  source length (attention keys/values), d_k key size, h heads

Every layer is a pair of plain functions: ``forward(...) -> (out, cache)`` and
``backward(dout, cache)`` returning the gradients in the order the forward took its inputs.
Weights are shaped (in, out), batch first. Recurrent gates are stacked in PyTorch's order.
"""

from .gradcheck import *  # noqa: F401,F403
from .affine import *  # noqa: F401,F403
from .activations import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .temporal import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .tbptt import *  # noqa: F401,F403
from .clip import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .lstm import *  # noqa: F401,F403
from .gru import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .multihead import *  # noqa: F401,F403
from .positional import *  # noqa: F401,F403
from .classifier import *  # noqa: F401,F403
from .char_lm import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .layernorm import *  # noqa: F401,F403
from .feedforward import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .decode import *  # noqa: F401,F403
from .error_rates import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .gradient_flow import *  # noqa: F401,F403
from .logscan import *  # noqa: F401,F403
