"""Data for the course: real data that ships inside installed packages, and generated tasks.

Nothing is downloaded at run time. Every split is deterministic and every generator takes a seed.
A missing optional package raises an error that names what to install.
"""

from .text import *  # noqa: F401,F403
from .namelists import *  # noqa: F401,F403
from .timeseries import *  # noqa: F401,F403
from .phonemes import *  # noqa: F401,F403
from .music import *  # noqa: F401,F403
from .sentiment import *  # noqa: F401,F403
from .synthetic import *  # noqa: F401,F403
