"""A copy of this checkout's virtual environment under /tmp: the layout CI runners use (and the one that once
made every honest chapter 7 submission score 0, when the sandbox hid /tmp)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

__all__ = ["copy_venv_under_tmp"]


def copy_venv_under_tmp(prefix: str = "venv-under-tmp-") -> str:
    """A new folder under /tmp holding a working copy of ``sys.prefix`` (its pyvenv.cfg pointed at the copy);
    the caller removes it."""
    venv = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    shutil.copytree(sys.prefix, venv, symlinks=True, dirs_exist_ok=True)
    cfg = os.path.join(venv, "pyvenv.cfg")
    with open(cfg) as f:
        text = f.read().replace(sys.prefix, venv)
    with open(cfg, "w") as f:
        f.write(text)
    return venv
