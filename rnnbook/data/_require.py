"""Import an optional package inside a function, with an error that names what to install."""

import importlib


def require(module: str, package: str | None = None, what: str = "this loader"):
    """Import ``module`` or raise ImportError naming the pip package to install."""
    package = package or module
    try:
        mod = importlib.import_module(module)
    except ImportError as e:  # also raised when sys.modules[module] is None
        raise ImportError(f"{what} needs the package '{package}': pip install {package}") from e
    return mod
