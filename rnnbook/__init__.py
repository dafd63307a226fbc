"""rnnbook: the reference implementation of the course *Neural networks that remember*.

- ``rnnbook.numpy``: plain NumPy forward/backward functions in CS231n's form.
- ``rnnbook.torch``: from-scratch PyTorch modules with ``torch.nn``'s names.
- ``rnnbook.data``: data that ships inside packages, and generated tasks (fixed seeds).
- ``rnnbook.experiments``: the experiments the chapters stand on.

The book imports this package; this package never imports the book.
"""

__version__ = "0.1.0"
