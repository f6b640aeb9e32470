"""`explain(loss)`: run backward and narrate it, step by step, as Bouvrie's
"Notes on Convolutional Neural Networks" (2006) and the LeNet-5 paper derive it: the sensitivity
map δ = ∂E/∂(output) of each op, from the loss back to the leaves."""
from __future__ import annotations

import sys
from typing import TextIO

import numpy as np

from .autograd import Function, backward, topological_order
from .formatting import attrs_str, shape_str
from .tensor import Tensor
from .viz.nodes import leaf_label


def explain(loss: Tensor, retain_graph: bool = False, file: TextIO | None = None) -> str:
    """Backpropagate from `loss` and print each step in reverse topological order: the op, the
    formula its VJP applied, δ's shape and norm, and the gradient sent to each input.

    This *is* the backward pass (leaf .grad is filled as by `loss.backward()`); the text is
    printed to `file` (default stdout) and returned.
    """
    tensors = topological_order(loss)
    index = {id(t): i for i, t in enumerate(tensors)}

    def name(t: Tensor) -> str:
        if t.grad_fn is None:
            return f"{leaf_label(t)} {shape_str(t.shape)}"
        return f"%{index[id(t)]} {t.grad_fn.op} output {shape_str(t.shape)}"

    value = f"{loss.item():.6g}" if loss.data.size == 1 else f"shape {shape_str(loss.shape)}"
    lines = [f"backward of {loss.grad_fn.op if loss.grad_fn else 'a leaf'}: E = {value}; "
             "δ = ∂E/∂(output) flows from the loss to the leaves"]
    step = 0

    def narrate(node: Function, delta: np.ndarray, input_grads) -> None:
        nonlocal step
        step += 1
        attrs = attrs_str(node.attrs)
        lines.append("")
        lines.append(f"step {step}: {node.op}{'(' + attrs + ')' if attrs else ''}   "
                     f"δ {shape_str(delta.shape)}  ‖δ‖ = {float(np.linalg.norm(delta)):.4g}")
        lines.extend("    " + line.strip() for line in node.formula.splitlines())
        for t, g in zip(node.inputs, input_grads):
            if g is not None and t.requires_grad:
                lines.append(f"    → δ {name(t)}  ‖·‖ = {float(np.linalg.norm(g)):.4g}")

    backward(loss, retain_graph=retain_graph, on_step=narrate)
    text = "\n".join(lines)
    print(text, file=file or sys.stdout)
    return text
