"""The student's functions as a check's ``run`` sees them, in the student's own kernel (the notebook).

The grader gives ``run`` a :class:`autograder.sandbox.RemoteNamespace` (calls go into the sandbox); a
notebook's test cell gives it a :class:`LocalNamespace` over the kernel's globals. Both offer the same three
ways in, so a check is written once:

- ``ns["f"](*args)``: call the student's ``f``;
- ``ns.call("f", *args, return_args=True)``: also get the arguments as they were after the call (to check
  that a function left its inputs unchanged, or restored what it perturbed);
- ``ns.module("LSTMCell", ctor_args, state, inputs, grad_outputs)``: build the student's ``torch.nn.Module``,
  load a state dict, run forward and backward (:func:`autograder.driver.torch_module_grads`).
"""

from __future__ import annotations

from typing import Mapping

from .driver import torch_module_grads

__all__ = ["LocalNamespace"]


class LocalNamespace:
    def __init__(self, namespace: Mapping, functions):
        self.functions = tuple(functions)
        self.ns = {f: namespace[f] for f in self.functions if f in namespace}

    def __contains__(self, name):
        return name in self.ns

    def __getitem__(self, name):
        return self.ns[name]

    def call(self, name, *args, return_args=False):
        result = self.ns[name](*args)
        return (result, args) if return_args else result

    def module(self, name, ctor_args, state, inputs, grad_outputs, dtype="float64"):
        return torch_module_grads(self.ns[name], tuple(ctor_args), dict(state), tuple(inputs),
                                  tuple(grad_outputs), dtype=dtype)
