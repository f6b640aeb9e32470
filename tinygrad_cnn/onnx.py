"""Export a model to ONNX, the exchange format every runtime reads (and Netron draws).

    from tinygrad_cnn.onnx import export
    export(model, x, "lenet5.onnx")          # like torch.onnx.export(model, args, f)

`export` runs the model once on the example input, with recording on, and walks the recorded DAG
(`autograd.topological_order`): every graph node (a `Function`) becomes one or a few standard ONNX
nodes, every parameter an initializer under its module path (`c1.weight`). Anything that depends
on parameters and constants only — LeNet-5's C3 weight times its connection mask — is folded into
one initializer: its value is already in the recording (named after the parameter it equals,
else `<parameter>_<op>`). The model then runs a second time, one
sample larger (with `dynamic_batch`, the default) and on other values: the sizes that change
follow the batch and become the symbolic dimension "batch", so the file runs at any batch size;
a constant whose values change was computed from the input outside the graph (a comparison,
`.data`) and is refused, as ONNX could not recompute it.

Needs the `onnx` package (`pip install tinygrad_cnn[onnx]`), imported inside `export` only.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import autograd
from .autograd import Function, topological_order
from .tensor import Tensor

# Opset 17 (ONNX 1.12, 2022; ONNX Runtime >= 1.13) has every op used here and is old enough for
# the runtimes people deploy; 18 only moves Reduce* axes to inputs, 19 adds Pad wrap and
# AveragePool dilations (used when asked for).
DEFAULT_OPSET = 17
MIN_OPSET = 13          # Softmax/LogSoftmax over one axis, ReduceSum/Squeeze/Unsqueeze axes as inputs
INSTALL_HINT = "pip install tinygrad_cnn[onnx]"
LOSS_OPS = ("cross_entropy", "squared_error", "binary_cross_entropy",
            "binary_cross_entropy_with_logits")      # and every op named *_loss
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min

__all__ = ["export", "UnsupportedOpError", "DEFAULT_OPSET", "ONNX_OPS"]


class UnsupportedOpError(ValueError):
    """A recorded op has no ONNX counterpart; the message names it and where it sits."""


def _import_onnx() -> Any:
    try:
        import onnx
        import onnx.checker  # noqa: F401  (submodules used below)
        import onnx.helper  # noqa: F401
        import onnx.numpy_helper  # noqa: F401
    except ImportError as err:
        raise ImportError("tinygrad_cnn.onnx.export needs the onnx package, an optional dependency: "
                          f"{INSTALL_HINT} (or pip install onnx)") from err
    return onnx


# ---------------------------------------------------------------------------------------------
# Recording: run the model, remember which module made each node
# ---------------------------------------------------------------------------------------------
@dataclass
class _Trace:
    """One recorded run: the inputs, the outputs, every tensor in topological order."""

    inputs: list[Tensor]
    outputs: list[Tensor]
    tensors: list[Tensor] = field(default_factory=list)
    module_of: dict[int, str] = field(default_factory=dict)   # id(node) -> module path
    keep: list[Function] = field(default_factory=list)        # keeps the ids above valid

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for out in self.outputs:
            for t in topological_order(out):
                if id(t) not in seen:
                    seen.add(id(t))
                    self.tensors.append(t)


def _output_tensors(out: Any, what: str) -> list[Tensor]:
    items = list(out) if isinstance(out, (tuple, list)) else [out]
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            kind = "ndarray" if isinstance(item, np.ndarray) else type(item).__name__
            raise TypeError(f"export: {what} returned a {kind}"
                            f"{f' at position {i}' if len(items) > 1 else ''}; expected a Tensor "
                            "or a tuple of Tensors (export the model's output, not a Python value)")
    return items


def _tensors(value: Any) -> list[Tensor]:
    """The Tensors in a value or in a tuple/list of values (one level)."""
    items = list(value) if isinstance(value, (tuple, list)) else [value]
    return [t for t in items if isinstance(t, Tensor)]


def _trace(model: Callable[..., Any], arrays: Sequence[np.ndarray]) -> _Trace:
    """Run `model` in eval mode with recording on; restore every module's mode afterwards."""
    from .nn.module import Module

    modules = model.named_modules() if isinstance(model, Module) else []
    modes = [(m, bool(vars(m)["training"])) for _, m in modules]
    module_of: dict[int, str] = {}
    keep: list[Function] = []

    def attribute(path: str, forward: Callable[..., Any]) -> Callable[..., Any]:
        def recorded_forward(*args: Any, **kwargs: Any) -> Any:
            before = {id(s.grad_fn) for t in _tensors(args) + _tensors(list(kwargs.values()))
                      for s in topological_order(t)}
            out = forward(*args, **kwargs)
            for t in _tensors(out):       # the nodes made in this call; inner modules claim first
                for s in topological_order(t):
                    node = s.grad_fn
                    if node is not None and id(node) not in module_of and id(node) not in before:
                        module_of[id(node)] = path
                        keep.append(node)
            return out
        return recorded_forward

    inputs = [Tensor(a, requires_grad=True) for a in arrays]   # everything after them is recorded
    own = [(m, m.__dict__.get("forward")) for _, m in modules]
    try:
        for path, m in modules:
            object.__setattr__(m, "forward", attribute(path, m.forward))
        if isinstance(model, Module):
            model.eval()
        with autograd.enable_grad():          # recorded even inside a caller's no_grad()
            out = model(*inputs)
    finally:
        for m, forward in own:
            m.__dict__.pop("forward", None)
            if forward is not None:
                object.__setattr__(m, "forward", forward)
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    what = f"{type(model).__name__}(x)" if isinstance(model, Module) else "the model"
    return _Trace(inputs, _output_tensors(out, what), module_of=module_of, keep=keep)


def _check_same_graph(a: _Trace, b: _Trace, probe: str) -> None:
    """The probe run must record the same ops (the graph may not depend on the batch or the values)."""
    def ops(trace: _Trace) -> list[str]:
        return [t.grad_fn.op if t.grad_fn is not None else "leaf" for t in trace.tensors]

    if ops(a) != ops(b) or len(a.outputs) != len(b.outputs):
        raise ValueError(f"export: the model records a different graph for {probe} "
                         f"({len(b.tensors)} tensors instead of {len(a.tensors)}): its ops depend "
                         "on the batch size or on the input values (Python control flow), so no "
                         "single ONNX graph reproduces it; with dynamic_batch=False it is exported "
                         "for the example's batch size, if only the batch size matters")


def _probe_arrays(arrays: Sequence[np.ndarray], dynamic_batch: bool) -> list[np.ndarray]:
    """Inputs for the second run: one sample more (with a dynamic batch) and new random values
    of the example's mean and spread, so that the sizes that follow the batch, and any value
    computed from the input outside the graph, show up as differences between the runs."""
    rng = np.random.default_rng(0)
    probes = []
    for a in arrays:
        shape = (a.shape[0] + 1,) + a.shape[1:] if dynamic_batch else a.shape
        mean, std = float(np.mean(a)), float(np.std(a)) or 1.0
        probes.append((mean + std * rng.standard_normal(shape)).astype(a.dtype))
    return probes


def _differs(a: Any, b: Any) -> bool:
    """Whether an array from the probe run differs from the example run's (on the shared part)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != b.ndim or any(m < n for n, m in zip(a.shape, b.shape)):
        return True
    b = b[tuple(slice(0, n) for n in a.shape)]
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return not np.array_equal(a, b, equal_nan=True)
    return not np.array_equal(a, b)


def _array_attrs(node: Function) -> dict[str, Any]:
    """The node's attributes that hold arrays (a mask, a condition, an index)."""
    out = {}
    for key, value in node.attrs.items():
        items = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, (np.ndarray, Tensor, list)) for v in items):
            out[key] = value
    return out


def _as_arrays(value: Any) -> list[np.ndarray]:
    items = value if isinstance(value, tuple) else (value,)
    return [np.asarray(getattr(v, "data", v)) for v in items
            if isinstance(v, (np.ndarray, Tensor, list))]


# ---------------------------------------------------------------------------------------------
# Building the ONNX graph
# ---------------------------------------------------------------------------------------------
def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    h, w = value
    return int(h), int(w)


def _pads(padding: Any) -> list[int]:
    """padding P, (Ph, Pw) or ((top, bottom), (left, right)) → ONNX [top, left, bottom, right]."""
    if isinstance(padding, (int, np.integer)):
        return [int(padding)] * 4
    ph, pw = padding
    (top, bottom) = (ph, ph) if isinstance(ph, (int, np.integer)) else ph
    (left, right) = (pw, pw) if isinstance(pw, (int, np.integer)) else pw
    return [int(top), int(left), int(bottom), int(right)]


def _attr(attrs: dict[str, Any], *names: str, default: Any = None) -> Any:
    """The first of `names` present in attrs (ops spell some attributes PyTorch's and NumPy's way)."""
    for name in names:
        if name in attrs:
            return attrs[name]
    return default


def _window_counts(n: int, k: int, s: int, p: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output position along one axis: how many inputs its window covers, and how many
    inputs and padding up to the padded border (the divisors of count_include_pad False/True)."""
    start = s * np.arange(out) - p
    end = np.minimum(start + k, n + p)
    return np.minimum(end, n) - np.maximum(start, 0), end - start


def _basic_index(items: Sequence[Any]) -> tuple[list[int], ...]:
    """Basic indexing items (ints, slices, None; Ellipsis expanded) as ONNX Slice inputs
    (starts, ends, axes, steps), the axes to Squeeze (ints) and to Unsqueeze (None, in the
    output's numbering). TypeError for anything else."""
    starts: list[int] = []
    ends: list[int] = []
    axes: list[int] = []
    steps: list[int] = []
    squeeze: list[int] = []
    unsqueeze: list[int] = []
    axis = position = 0                       # the input axis, the output axis
    for it in items:
        if it is None:
            unsqueeze.append(position)
            position += 1
            continue
        if isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            i = int(it)
            starts.append(i)
            ends.append(i + 1 if i != -1 else _INT64_MAX)
            steps.append(1)
            axes.append(axis)
            squeeze.append(axis)
        elif isinstance(it, slice):
            step = 1 if it.step is None else int(it.step)
            if it != slice(None):
                starts.append((0 if step > 0 else -1) if it.start is None else int(it.start))
                ends.append((_INT64_MAX if step > 0 else _INT64_MIN) if it.stop is None
                            else int(it.stop))
                steps.append(step)
                axes.append(axis)
            position += 1
        else:
            raise TypeError(f"not a basic index: {it!r}")
        axis += 1
    return starts, ends, axes, steps, squeeze, unsqueeze


def _axes(value: Any, ndim: int) -> list[int]:
    if value is None:
        return list(range(ndim))
    axes = [value] if isinstance(value, (int, np.integer)) else list(value)
    return sorted(int(a) % max(ndim, 1) for a in axes)


def _where(trace: _Trace, i: int, node: Function) -> str:
    """'graph node %i = op(%a (shape), ...) -> (shape) in module m', for error messages."""
    index = {id(t): k for k, t in enumerate(trace.tensors)}
    args = ", ".join(f"%{index[id(x)]} {tuple(x.shape)}" for x in node.inputs)
    path = trace.module_of.get(id(node), "")
    module = f"in module '{path}'" if path else "in the model's own forward"
    return f"graph node %{i} = {node.op}({args}) -> {tuple(node.output_shape)} {module}"


def _check_ops(trace: _Trace) -> None:
    """Every recorded op that computes from the input has an ONNX form (checked before anything
    else runs, so that the error names the op)."""
    depends = {id(t) for t in trace.inputs}
    for i, t in enumerate(trace.tensors):
        node = t.grad_fn
        if node is None or not any(id(x) in depends for x in node.inputs):
            continue
        depends.add(id(t))
        if hasattr(_Builder, f"op_{node.op}"):
            continue
        if node.op in LOSS_OPS or node.op.endswith("_loss"):
            reason = (f"'{node.op}' is a loss: export the model's output model(x), not the loss "
                      "(a loss needs the labels; it is not inference)")
        else:
            reason = (f"op '{node.op}' has no ONNX mapping; the exportable ops are "
                      f"{', '.join(sorted(ONNX_OPS))}")
        raise UnsupportedOpError(f"export: cannot export {_where(trace, i, node)}: {reason}")


class _Builder:
    """Turns a `_Trace` into an ONNX ModelProto, one `op_<name>` method per recorded op.

    `probe` is the second run (one sample more with a dynamic batch, other input values): sizes
    that differ between the runs follow the batch, and a constant or an array attribute whose
    values differ was computed from the input outside the graph, which ONNX could not redo.
    """

    CHECK_OWN_ARRAYS = ("dropout", "batch_norm", "take_along_dim")   # explain themselves first

    def __init__(self, onnx: Any, trace: _Trace, probe: _Trace, dynamic_batch: bool, opset: int,
                 input_names: list[str], output_names: list[str]):
        self.onnx, self.helper = onnx, onnx.helper
        self.trace, self.probe, self.opset = trace, probe, opset
        self.index = {id(t): i for i, t in enumerate(trace.tensors)}
        self.batch = (trace.inputs[0].shape[0], probe.inputs[0].shape[0]) if dynamic_batch else None
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.value_info: list[Any] = []
        self.names: dict[int, str] = {}                 # id(tensor) -> ONNX value name
        self.casts: dict[tuple[int, str], str] = {}     # (id(tensor), dtype) -> its cast's name
        self.taken: set[str] = set(input_names) | set(output_names)
        self.node_count: dict[str, int] = {}
        self.input_names, self.output_names = input_names, output_names
        self.output_of: dict[int, str] = {}             # id(tensor) -> graph output name
        for t, name in zip(trace.outputs, output_names):
            self.output_of.setdefault(id(t), name)
        self.depends = self._input_dependent()
        self.current: tuple[int, Function] | None = None   # the graph node being emitted
        self.current_path = ""

    # -- bookkeeping ----------------------------------------------------------------------------
    def _input_dependent(self) -> set[int]:
        """ids of the tensors computed from a graph input; everything else folds into constants."""
        dep = {id(t) for t in self.trace.inputs}
        for t in self.trace.tensors:
            if t.grad_fn is not None and any(id(x) in dep for x in t.grad_fn.inputs):
                dep.add(id(t))
        return dep

    def unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self.taken:
            candidate, k = f"{name}_{k}", k + 1
        self.taken.add(candidate)
        return candidate

    def twin(self, t: Tensor) -> Tensor:
        """The same tensor in the probe run."""
        return self.probe.tensors[self.index[id(t)]]

    def shapes(self, t: Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(shape in the example run, shape in the probe run)."""
        return t.shape, self.twin(t).shape

    def dims(self, t: Tensor) -> list[int | str | None]:
        """The shape written to the file: a size that follows the batch is "batch" (or unnamed)."""
        out: list[int | str | None] = []
        for n, m in zip(*self.shapes(t)):
            out.append(int(n) if n == m else "batch" if (n, m) == self.batch else None)
        return out

    def fail(self, reason: str) -> UnsupportedOpError:
        where = "the graph outputs" if self.current is None else _where(self.trace, *self.current)
        return UnsupportedOpError(f"export: cannot export {where}: {reason}")

    def tensor_type(self, dtype: Any) -> int:
        return int(self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def constant(self, array: Any, name: str) -> str:
        """A new initializer; returns its (unique) name."""
        name = self.unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values: Sequence[int], name: str) -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64), name)

    def scalar(self, value: Any, dtype: Any, name: str) -> str:
        return self.constant(np.asarray(value, dtype=dtype), name)

    def folded_name(self, t: Tensor) -> str:
        """A constant's name: its own (a parameter's path), else `<first named leaf>_<op>`, else
        const_<its index in the graph>."""
        if t.name:
            return t.name
        if t.grad_fn is not None:
            for s in topological_order(t):
                if s.name:
                    return f"{s.name}_{t.grad_fn.op}"
        return f"const_{self.index[id(t)]}"

    def equal_parameter(self, t: Tensor) -> Tensor | None:
        """A named leaf that a folded constant equals exactly (LeNet-5's C3 weight times its mask,
        when the masked weights are zero as training keeps them): the file then holds it once,
        under the parameter's own name."""
        if t.grad_fn is None:
            return None
        for s in topological_order(t):
            if (s.grad_fn is None and s.name and s.shape == t.shape and s.dtype == t.dtype
                    and np.array_equal(s.data, t.data)):
                return s
        return None

    def value(self, t: Tensor, dtype: Any = None) -> str:
        """The ONNX name holding `t` (cast to `dtype` if given); a constant (a parameter, or
        anything computed from parameters and constants only) becomes an initializer."""
        if id(t) not in self.names:
            self.check_constant(t)
            same = self.equal_parameter(t)
            self.names[id(t)] = (self.value(same) if same is not None
                                 else self.constant(t.data, self.folded_name(t)))
        name = self.names[id(t)]
        if dtype is None or t.dtype == np.dtype(dtype):
            return name
        key = (id(t), np.dtype(dtype).name)
        if key not in self.casts:
            if id(t) not in self.depends:                 # a constant: cast it once, at export
                self.casts[key] = self.constant(t.data.astype(dtype), f"{name}_{key[1]}")
            else:
                self.casts[key] = self.add("Cast", [name], to=self.tensor_type(dtype))
        return self.casts[key]

    def check_constant(self, t: Tensor) -> None:
        label = f"constant %{self.index[id(t)]}" + (f" ({t.name})" if t.name else "")
        if _differs(t.data, self.twin(t).data):
            raise self.fail(f"{label} of shape {tuple(t.shape)} holds values computed from the "
                            "input outside the recorded graph (through .data, .numpy(), a "
                            "comparison or argmax, or random numbers drawn in forward), so the "
                            "ONNX graph could not recompute it for another input")
        if t.shape != self.twin(t).shape:
            raise self.fail(f"{label} has shape {tuple(t.shape)} in the example run but "
                            f"{tuple(self.twin(t).shape)} one sample larger: it is built from the "
                            "batch size; pass dynamic_batch=False")

    def check_array_attrs(self) -> None:
        """An array attribute (a mask, a condition, an index) must not follow the input values
        or the batch size: the file holds it as a constant."""
        assert self.current is not None
        i, node = self.current
        other = self.probe.tensors[i].grad_fn
        assert other is not None
        for key, value in _array_attrs(node).items():
            pairs = list(zip(_as_arrays(value), _as_arrays(other.attrs.get(key))))
            if any(_differs(a, b) for a, b in pairs):
                raise self.fail(f"its attribute '{key}' holds values computed from the input outside "
                                "the recorded graph (a comparison, argmax, a mask drawn at random), so "
                                "the ONNX graph could not recompute it for another input")
            if any(a.shape != b.shape for a, b in pairs):
                raise self.fail(f"its attribute '{key}' holds one value per sample (its shape follows "
                                "the batch size): most likely computed from the input outside the "
                                "recorded graph (a comparison such as x > 0 is not recorded), which an "
                                "ONNX graph cannot recompute; if it depends on the batch size only, "
                                "pass dynamic_batch=False")

    def add(self, op_type: str, inputs: Sequence[str], out: Tensor | None = None, **attrs: Any) -> str:
        """Append one ONNX node; returns its output name (`out`'s graph output name if it is one)."""
        path = self.current_path
        base = f"/{path.replace('.', '/')}/{op_type}" if path else f"/{op_type}"
        count = self.node_count.get(base, 0)
        self.node_count[base] = count + 1
        node_name = self.unique(base if count == 0 else f"{base}_{count}")
        if out is not None and id(out) in self.output_of and id(out) not in self.names:
            output = self.output_of[id(out)]
        else:
            output = self.unique(f"{node_name}_output_0")
        doc = ""
        if self.current is not None:
            doc = f"tinygrad_cnn op '{self.current[1].op}' (graph node %{self.current[0]}" + (
                f", module '{path}')" if path else ")")
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output], name=node_name,
                                                doc_string=doc, **attrs))
        if out is not None:
            self.names[id(out)] = output
            if output not in self.output_names:
                self.value_info.append(self.helper.make_tensor_value_info(
                    output, self.tensor_type(out.dtype), self.dims(out)))
        return output

    # -- the walk -------------------------------------------------------------------------------
    def build(self, graph_name: str, doc: str) -> Any:
        for t, name in zip(self.trace.inputs, self.input_names):
            self.names[id(t)] = name
        for i, t in enumerate(self.trace.tensors):
            node = t.grad_fn
            if node is None or id(t) not in self.depends:
                continue
            self.current, self.current_path = (i, node), self.trace.module_of.get(id(node), "")
            if node.op not in self.CHECK_OWN_ARRAYS:
                self.check_array_attrs()
            getattr(self, f"op_{node.op}")(node, t)
        self.current, self.current_path = None, ""
        outputs = []
        for t, name in zip(self.trace.outputs, self.output_names):
            source = self.value(t)
            if source != name:                  # an input, a constant or a repeated output
                self.nodes.append(self.helper.make_node("Identity", [source], [name],
                                                        name=self.unique(f"/Identity_{name}")))
            outputs.append(self.helper.make_tensor_value_info(name, self.tensor_type(t.dtype),
                                                              self.dims(t)))
        inputs = [self.helper.make_tensor_value_info(name, self.tensor_type(t.dtype), self.dims(t))
                  for t, name in zip(self.trace.inputs, self.input_names)]
        graph = self.helper.make_graph(self.nodes, graph_name, inputs, outputs, self.initializers,
                                       doc_string=doc, value_info=self.value_info)
        opsets = [self.helper.make_opsetid("", self.opset)]
        return self.helper.make_model(graph, opset_imports=opsets, producer_name="tinygrad_cnn",
                                      producer_version=_version(),
                                      ir_version=self.helper.find_min_ir_version_for(opsets))

    def operands(self, node: Function, *tensors: Tensor) -> list[str]:
        """The inputs' names in the node's output dtype (an ONNX op wants one element type)."""
        dtype = node.output_dtype if node.output_dtype is not None else tensors[0].dtype
        return [self.value(t, dtype) for t in tensors]

    # -- convolution and pooling ----------------------------------------------------------------
    def conv_attrs(self, node: Function) -> dict[str, Any]:
        a = node.attrs
        return dict(kernel_shape=list(node.inputs[1].shape[2:]),
                    strides=list(_pair(a.get("stride", 1))), pads=_pads(a.get("padding", 0)),
                    dilations=list(_pair(a.get("dilation", 1))), group=int(a.get("groups", 1)))

    def op_conv2d(self, node: Function, out: Tensor) -> None:
        """Conv: the same cross-correlation, weight (out, in/groups, kH, kW), pads top/left/bottom/right."""
        self.add("Conv", self.operands(node, *node.inputs), out, **self.conv_attrs(node))

    def op_conv_transpose2d(self, node: Function, out: Tensor) -> None:
        attrs = self.conv_attrs(node)
        attrs["output_padding"] = list(_pair(node.attrs.get("output_padding", 0)))
        self.add("ConvTranspose", self.operands(node, *node.inputs), out, **attrs)

    def pool_attrs(self, node: Function) -> dict[str, Any]:
        a = node.attrs
        k = _pair(a["kernel_size"])
        attrs: dict[str, Any] = dict(kernel_shape=list(k), strides=list(_pair(a.get("stride") or k)),
                                     pads=_pads(a.get("padding", 0)))
        dilation = _pair(a.get("dilation", 1))
        if dilation != (1, 1):
            attrs["dilations"] = list(dilation)
        return attrs

    def op_max_pool2d(self, node: Function, out: Tensor) -> None:
        """MaxPool; ceil_mode's extra bottom/right padding is padding too (it never wins a max)."""
        attrs = self.pool_attrs(node)
        extra = _pair(node.attrs.get("extra", 0))
        attrs["pads"] = attrs["pads"][:2] + [attrs["pads"][2] + extra[0], attrs["pads"][3] + extra[1]]
        self.add("MaxPool", self.operands(node, node.inputs[0]), out, **attrs)

    def op_avg_pool2d(self, node: Function, out: Tensor) -> None:
        """AveragePool. ONNX divides by k² or by the window's inputs (count_include_pad); the last
        windows of ceil_mode (cut at the padded border) and divisor_override divide otherwise:
        then AveragePool without padding in the count, times a constant map (count / divisor)."""
        a = node.attrs
        attrs = self.pool_attrs(node)
        if "dilations" in attrs and self.opset < 19:
            raise self.fail(f"AveragePool has dilations from opset 19 on; got opset {self.opset}")
        extra, divisor = _pair(a.get("extra", 0)), a.get("divisor_override")
        include_pad = bool(a.get("count_include_pad", True))
        names = self.operands(node, node.inputs[0])
        if extra == (0, 0) and divisor is None:
            self.add("AveragePool", names, out, count_include_pad=int(include_pad), **attrs)
            return
        pads = attrs["pads"]
        attrs["pads"] = pads[:2] + [pads[2] + extra[0], pads[3] + extra[1]]
        if not include_pad and divisor is None:
            self.add("AveragePool", names, out, count_include_pad=0, **attrs)
            return
        counts = [_window_counts(n, k, s, p, o) for n, k, s, p, o in zip(
            node.inputs[0].shape[2:], attrs["kernel_shape"], attrs["strides"], pads[:2], out.shape[2:])]
        inside = np.outer(counts[0][0], counts[1][0])       # inputs in each window
        padded = np.outer(counts[0][1], counts[1][1])       # ... and padding, to the padded border
        ratio = inside / (divisor if divisor is not None else padded)
        pooled = self.add("AveragePool", names, count_include_pad=0, **attrs)
        self.add("Mul", [pooled, self.constant(ratio.astype(out.dtype), "avg_pool_divisor_ratio")], out)

    def op_subsample(self, node: Function, out: Tensor) -> None:
        """β·(sum over each k×k block) + b = AveragePool(x)·(k²β) + b, β and b per channel."""
        x, beta, bias = node.inputs
        k = _pair(node.attrs["kernel_size"])
        pooled = self.add("AveragePool", self.operands(node, x), kernel_shape=list(k), strides=list(k))
        scale = self.channel_vector(beta, f"{beta.name or 'beta'}_times_{k[0] * k[1]}", out.dtype,
                                    factor=k[0] * k[1])
        scaled = self.add("Mul", [pooled, scale])
        self.add("Add", [scaled, self.channel_vector(bias, f"{bias.name or 'bias'}_per_channel",
                                                     out.dtype)], out)

    def channel_vector(self, t: Tensor, name: str, dtype: Any, factor: float = 1.0) -> str:
        """A per-channel vector (C,) as (C, 1, 1), to broadcast over (N, C, H, W)."""
        if id(t) not in self.depends:
            self.check_constant(t)
            return self.constant((t.data * factor).astype(dtype).reshape(-1, 1, 1), name)
        shaped = self.add("Reshape", [self.value(t, dtype), self.ints([-1, 1, 1], f"{name}_shape")])
        return self.add("Mul", [shaped, self.scalar(factor, dtype, f"{name}_factor")])

    def adaptive(self, node: Function, out: Tensor, kind: str) -> None:
        """Global{kind}Pool for a 1×1 output; {kind}Pool when the bins all have one size."""
        x = node.inputs[0]
        size_in, size_out = x.shape[2:], out.shape[2:]
        if tuple(size_out) == (1, 1):
            self.add(f"Global{kind}Pool", self.operands(node, x), out)
            return
        if any(n % m for n, m in zip(size_in, size_out)):
            raise self.fail(f"{node.op} from {tuple(size_in)} to {tuple(size_out)} has bins of "
                            f"different sizes; ONNX has it only as Global{kind}Pool or, when the "
                            f"input size is a multiple of the output size, as {kind}Pool")
        k = [n // m for n, m in zip(size_in, size_out)]
        self.add(f"{kind}Pool", self.operands(node, x), out, kernel_shape=k, strides=k)

    def op_adaptive_avg_pool2d(self, node: Function, out: Tensor) -> None:
        self.adaptive(node, out, "Average")

    def op_adaptive_max_pool2d(self, node: Function, out: Tensor) -> None:
        self.adaptive(node, out, "Max")

    # -- matrix products ------------------------------------------------------------------------
    def op_linear(self, node: Function, out: Tensor) -> None:
        """Gemm(x, W, b, transB=1) = x Wᵀ + b for a batch of vectors; MatMul + Add otherwise."""
        names = self.operands(node, *node.inputs)
        if node.inputs[0].ndim == 2:
            self.add("Gemm", names, out, transB=1)
            return
        weight_t = self.add("Transpose", [names[1]], perm=[1, 0])
        if len(names) == 2:
            self.add("MatMul", [names[0], weight_t], out)
        else:
            self.add("Add", [self.add("MatMul", [names[0], weight_t]), names[2]], out)

    def op_matmul(self, node: Function, out: Tensor) -> None:
        self.add("MatMul", self.operands(node, *node.inputs), out)

    # -- elementwise ----------------------------------------------------------------------------
    def elementwise(self, op_type: str, node: Function, out: Tensor, **attrs: Any) -> None:
        self.add(op_type, self.operands(node, *node.inputs), out, **attrs)

    def op_add(self, node: Function, out: Tensor) -> None:
        self.elementwise("Add", node, out)

    def op_sub(self, node: Function, out: Tensor) -> None:
        self.elementwise("Sub", node, out)

    def op_mul(self, node: Function, out: Tensor) -> None:
        self.elementwise("Mul", node, out)

    def op_div(self, node: Function, out: Tensor) -> None:
        self.elementwise("Div", node, out)

    def op_pow(self, node: Function, out: Tensor) -> None:
        self.elementwise("Pow", node, out)

    def op_maximum(self, node: Function, out: Tensor) -> None:
        self.elementwise("Max", node, out)

    def op_minimum(self, node: Function, out: Tensor) -> None:
        self.elementwise("Min", node, out)

    def op_remainder(self, node: Function, out: Tensor) -> None:
        """a mod b with the sign of b = a − b·floor(a / b) (ONNX Mod is C's fmod for floats)."""
        a, b = self.operands(node, *node.inputs)
        if out.dtype.kind in "iu":
            self.add("Mod", [a, b], out, fmod=0)
            return
        floor = self.add("Floor", [self.add("Div", [a, b])])
        self.add("Sub", [a, self.add("Mul", [b, floor])], out)

    def op_neg(self, node: Function, out: Tensor) -> None:
        self.elementwise("Neg", node, out)

    def op_exp(self, node: Function, out: Tensor) -> None:
        self.elementwise("Exp", node, out)

    def op_log(self, node: Function, out: Tensor) -> None:
        self.elementwise("Log", node, out)

    def op_sin(self, node: Function, out: Tensor) -> None:
        self.elementwise("Sin", node, out)

    def op_cos(self, node: Function, out: Tensor) -> None:
        self.elementwise("Cos", node, out)

    def op_sqrt(self, node: Function, out: Tensor) -> None:
        self.elementwise("Sqrt", node, out)

    def op_abs(self, node: Function, out: Tensor) -> None:
        self.elementwise("Abs", node, out)

    def op_clamp(self, node: Function, out: Tensor) -> None:
        bounds = [node.attrs.get("min"), node.attrs.get("max")]
        names = [("" if v is None else self.scalar(v, out.dtype, f"clamp_{k}"))
                 for v, k in zip(bounds, ("min", "max"))]
        while names and names[-1] == "":
            names.pop()
        self.add("Clip", self.operands(node, node.inputs[0]) + names, out)

    def op_cast(self, node: Function, out: Tensor) -> None:
        self.add("Cast", [self.value(node.inputs[0])], out, to=self.tensor_type(out.dtype))

    def op_where(self, node: Function, out: Tensor) -> None:
        """Where(condition, a, b); the condition is a constant (checked not to follow the input)."""
        condition = np.asarray(getattr(node.attrs["condition"], "data", node.attrs["condition"]), dtype=bool)
        self.add("Where", [self.constant(condition, "where_condition")] + self.operands(node, *node.inputs),
                 out)

    def op_relu(self, node: Function, out: Tensor) -> None:
        self.elementwise("Relu", node, out)

    def op_leaky_relu(self, node: Function, out: Tensor) -> None:
        self.elementwise("LeakyRelu", node, out, alpha=float(node.attrs.get("negative_slope", 0.01)))

    def op_sigmoid(self, node: Function, out: Tensor) -> None:
        self.elementwise("Sigmoid", node, out)

    def op_tanh(self, node: Function, out: Tensor) -> None:
        self.elementwise("Tanh", node, out)

    def op_softmax(self, node: Function, out: Tensor) -> None:
        self.elementwise("Softmax", node, out, axis=int(_attr(node.attrs, "dim", "axis", default=-1)))

    def op_log_softmax(self, node: Function, out: Tensor) -> None:
        self.elementwise("LogSoftmax", node, out, axis=int(_attr(node.attrs, "dim", "axis", default=-1)))

    def op_dropout(self, node: Function, out: Tensor) -> None:
        raise self.fail("dropout was recorded in training mode (a random mask); export runs the "
                        "model in eval mode, where F.dropout(x, p, training=self.training) is the "
                        "identity — pass training=self.training instead of training=True")

    def op_batch_norm(self, node: Function, out: Tensor) -> None:
        """BatchNormalization, inference form: (x − running_mean)/√(running_var + ε)·γ + β."""
        a = node.attrs
        if a.get("training", False):
            raise self.fail("batch_norm was recorded with batch statistics (training mode); export "
                            "runs the model in eval mode: pass training=self.training")
        self.check_array_attrs()
        x, mean, var, weight, bias = self.batch_norm_inputs(node)
        c = x.shape[1]
        names = [self.value(x, out.dtype)]
        for t, fill, label in ((weight, 1.0, "scale"), (bias, 0.0, "bias"), (mean, 0.0, "mean"),
                               (var, 1.0, "var")):
            if t is None:
                names.append(self.constant(np.full(c, fill, dtype=out.dtype), f"batch_norm_{label}"))
            elif id(t) in self.index:
                names.append(self.value(t, out.dtype))
            else:                               # a statistic held as an attribute
                names.append(self.constant(t.data.astype(out.dtype), ".".join(
                    [p for p in (self.current_path, f"running_{label}") if p])))
        self.add("BatchNormalization", names, out, epsilon=float(_attr(a, "eps", "epsilon", default=1e-5)))

    def batch_norm_inputs(self, node: Function) -> tuple[Any, ...]:
        """(x, running_mean, running_var, weight, bias) in F.batch_norm's order; a statistic kept
        as an array attribute instead of an input becomes a Tensor here."""
        ins: list[Any] = list(node.inputs) + [None] * (5 - len(node.inputs))
        for slot, key in ((1, "running_mean"), (2, "running_var")):
            value = node.attrs.get(key)
            if value is not None:
                ins.insert(slot, value if isinstance(value, Tensor) else Tensor(np.asarray(value)))
        return tuple(ins[:5])

    # -- reductions -----------------------------------------------------------------------------
    def reduce(self, op_type: str, node: Function, out: Tensor) -> None:
        x = node.inputs[0]
        axes = _axes(_attr(node.attrs, "dim", "axis"), x.ndim)
        keep = int(bool(_attr(node.attrs, "keepdim", "keepdims", default=False)))
        names = self.operands(node, x)
        if not axes:                            # reducing over no axis changes nothing
            self.add("Identity", names, out)
        elif op_type == "ReduceSum" or self.opset >= 18:
            self.add(op_type, names + [self.ints(axes, f"{op_type}_axes")], out, keepdims=keep)
        else:
            self.add(op_type, names, out, axes=axes, keepdims=keep)

    def op_sum(self, node: Function, out: Tensor) -> None:
        self.reduce("ReduceSum", node, out)

    def op_mean(self, node: Function, out: Tensor) -> None:
        self.reduce("ReduceMean", node, out)

    def op_amax(self, node: Function, out: Tensor) -> None:
        self.reduce("ReduceMax", node, out)

    def op_amin(self, node: Function, out: Tensor) -> None:
        self.reduce("ReduceMin", node, out)


    # -- shapes ---------------------------------------------------------------------------------
    def op_reshape(self, node: Function, out: Tensor) -> None:
        """Flatten when the new shape merges the leading and the trailing axes; else Reshape,
        with 0 (copy this axis) or −1 (infer it) where a size follows the batch."""
        x = node.inputs[0]
        names = self.operands(node, x)
        pairs = [(x.shape, out.shape), (self.twin(x).shape, self.twin(out).shape)]
        if out.ndim == 2:
            for axis in range(x.ndim + 1):
                if all(math.prod(i[:axis]) == o[0] and math.prod(i[axis:]) == o[1] for i, o in pairs):
                    self.add("Flatten", names, out, axis=axis)
                    return
        target: list[int] = []
        in_probe, out_probe = pairs[1]
        for d, (n, m) in enumerate(zip(out.shape, out_probe)):
            if n == m and n != 0:
                target.append(int(n))
            elif d < x.ndim and (x.shape[d], in_probe[d]) == (n, m) and n != 0:
                target.append(0)
            elif -1 not in target:
                target.append(-1)
            else:
                raise self.fail(f"reshape {tuple(x.shape)} -> {tuple(out.shape)} has two sizes that "
                                "follow the batch at new positions; ONNX Reshape infers only one "
                                "(-1); pass dynamic_batch=False")
        self.add("Reshape", names + [self.ints(target, "shape")], out)

    def op_permute(self, node: Function, out: Tensor) -> None:
        x = node.inputs[0]
        perm = _attr(node.attrs, "dims", "axes", "perm") or list(reversed(range(x.ndim)))
        self.add("Transpose", self.operands(node, x), out, perm=[int(p) % x.ndim for p in perm])


    def op_expand(self, node: Function, out: Tensor) -> None:
        """Expand (bidirectional broadcast): a size that follows the batch stays 1 in the target."""
        x = node.inputs[0]
        pad = out.ndim - x.ndim
        x_shapes = [(1,) * pad + tuple(s) for s in self.shapes(x)]
        target = []
        for d, (n, m) in enumerate(zip(*self.shapes(out))):
            if n == m:
                target.append(int(n))
            elif (x_shapes[0][d], x_shapes[1][d]) == (n, m):
                target.append(1)
            else:
                raise self.fail(f"expand {tuple(x.shape)} -> {tuple(out.shape)} broadcasts to a "
                                "size that follows the batch; pass dynamic_batch=False")
        self.add("Expand", self.operands(node, x) + [self.ints(target, "expand_shape")], out)

    def op_flip(self, node: Function, out: Tensor) -> None:
        x = node.inputs[0]
        dims = _axes(_attr(node.attrs, "dims", "dim", "axis"), x.ndim)
        k = len(dims)
        self.add("Slice", self.operands(node, x) + [
            self.ints([-1] * k, "flip_starts"), self.ints([_INT64_MIN] * k, "flip_ends"),
            self.ints(dims, "flip_axes"), self.ints([-1] * k, "flip_steps")], out)

    def op_clone(self, node: Function, out: Tensor) -> None:
        self.add("Identity", self.operands(node, node.inputs[0]), out)

    def op_cat(self, node: Function, out: Tensor) -> None:
        axis = int(_attr(node.attrs, "dim", "axis", default=0))
        self.add("Concat", self.operands(node, *node.inputs), out, axis=axis)

    def is_extremum(self, i: int, node: Function) -> str | None:
        """"ReduceMax"/"ReduceMin" when take_along_dim's index is the argmax/argmin of its input
        along dim in both runs (x.max(dim).values), else None."""
        if node.op != "take_along_dim" or node.inputs[0].ndim == 0:
            return None
        twin = self.probe.tensors[i].grad_fn
        assert twin is not None
        axis = int(_attr(node.attrs, "dim", "axis", default=0)) % node.inputs[0].ndim
        for op_type, arg in (("ReduceMax", np.argmax), ("ReduceMin", np.argmin)):
            if all(np.array_equal(np.asarray(n.attrs["index"]),
                                  arg(n.inputs[0].data, axis=axis, keepdims=True))
                   for n in (node, twin)):
                return op_type
        return None

    def op_take_along_dim(self, node: Function, out: Tensor) -> None:
        """ReduceMax/ReduceMin when the index is the argmax/argmin (x.max(dim).values), else
        GatherElements with the index as a constant (checked not to follow the input)."""
        x = node.inputs[0]
        axis = int(_attr(node.attrs, "dim", "axis", default=0)) % x.ndim
        assert self.current is not None
        op_type = self.is_extremum(self.current[0], node)
        if op_type is not None:
            names = self.operands(node, x)
            if self.opset >= 18:
                self.add(op_type, names + [self.ints([axis], f"{op_type}_axes")], out, keepdims=1)
            else:
                self.add(op_type, names, out, axes=[axis], keepdims=1)
            return
        self.check_array_attrs()
        index = np.broadcast_to(np.asarray(node.attrs["index"], dtype=np.int64), out.shape)
        self.add("GatherElements", self.operands(node, x) + [self.constant(index, "gather_index")],
                 out, axis=axis)

    def op_getitem(self, node: Function, out: Tensor) -> None:
        """Basic indexing (ints, slices, None, ...) → Slice, Squeeze, Unsqueeze; one integer
        array on one axis → Gather."""
        x = node.inputs[0]
        index = node.attrs.get("index")
        items = list(index) if isinstance(index, tuple) else [index]
        name = self.operands(node, x)[0]
        if any(it is Ellipsis for it in items):
            e = next(i for i, it in enumerate(items) if it is Ellipsis)
            used = sum(1 for it in items if it is not None and it is not Ellipsis)
            items[e:e + 1] = [slice(None)] * (x.ndim - used)
        arrays = [i for i, it in enumerate(items) if isinstance(it, (list, np.ndarray, Tensor))]
        if arrays:
            array = np.asarray(getattr(items[arrays[0]], "data", items[arrays[0]]))
            others = [it for i, it in enumerate(items) if i != arrays[0]]
            if (len(arrays) > 1 or array.dtype.kind not in "iu"
                    or any(it != slice(None) for it in others)):
                raise self.fail(f"index {index!r}: only basic indexing (ints, slices, None, ...) "
                                "and one integer array on one axis are exported")
            self.add("Gather", [name, self.constant(array.astype(np.int64), "gather_indices")],
                     out, axis=arrays[0])
            return
        try:
            starts, ends, axes, steps, squeeze, unsqueeze = _basic_index(items)
        except TypeError:
            raise self.fail(f"index {index!r}: only basic indexing (ints, slices, None, ...) and "
                            "one integer array on one axis are exported") from None
        if axes:
            name = self.add("Slice", [name, self.ints(starts, "slice_starts"), self.ints(ends, "slice_ends"),
                                      self.ints(axes, "slice_axes"), self.ints(steps, "slice_steps")],
                            None if squeeze or unsqueeze else out)
        if squeeze:
            name = self.add("Squeeze", [name, self.ints(squeeze, "squeeze_axes")],
                            None if unsqueeze else out)
        if unsqueeze:
            self.add("Unsqueeze", [name, self.ints(unsqueeze, "unsqueeze_axes")], out)
        if not (axes or squeeze or unsqueeze):
            self.add("Identity", [name], out)

    def pad(self, node: Function, out: Tensor, widths: Sequence[Sequence[int]], mode: str) -> None:
        x = node.inputs[0]
        first = x.ndim - len(widths)
        begins, ends = [0] * x.ndim, [0] * x.ndim
        for d, (b, a) in enumerate(widths, start=first):
            begins[d], ends[d] = int(b), int(a)
        names = self.operands(node, x) + [self.ints(begins + ends, "pads")]
        if mode == "constant":
            names.append(self.scalar(node.attrs.get("value") or 0.0, out.dtype, "pad_value"))
        self.add("Pad", names, out, mode=mode)

    def op_constant_pad(self, node: Function, out: Tensor) -> None:
        """Pad, mode constant (negative widths crop, as ONNX Pad's negative pads)."""
        self.pad(node, out, node.attrs["widths"], "constant")

    def op_index_pad(self, node: Function, out: Tensor) -> None:
        """Pad, mode reflect / edge (PyTorch's replicate) / wrap (circular, opset 19+)."""
        mode = str(node.attrs.get("mode", "reflect"))
        if mode not in ("reflect", "edge", "wrap") or (mode == "wrap" and self.opset < 19):
            raise self.fail(f"padding mode {mode!r} has no ONNX Pad form at opset {self.opset} "
                            "(reflect, edge; wrap from opset 19)")
        self.pad(node, out, node.attrs["widths"], mode)



# The mapping (the docs and the error message list it): tinygrad_cnn op → ONNX op(s).
ONNX_OPS = {
    "conv2d": "Conv", "conv_transpose2d": "ConvTranspose", "max_pool2d": "MaxPool",
    "avg_pool2d": "AveragePool", "subsample": "AveragePool, Mul (k²β), Add (b)",
    "adaptive_avg_pool2d": "GlobalAveragePool / AveragePool",
    "adaptive_max_pool2d": "GlobalMaxPool / MaxPool", "linear": "Gemm (transB=1)",
    "matmul": "MatMul", "add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
    "maximum": "Max", "minimum": "Min", "remainder": "Div, Floor, Mul, Sub", "neg": "Neg",
    "exp": "Exp", "log": "Log", "sin": "Sin", "cos": "Cos", "sqrt": "Sqrt", "abs": "Abs",
    "clamp": "Clip", "cast": "Cast",
    "where": "Where", "relu": "Relu", "leaky_relu": "LeakyRelu", "sigmoid": "Sigmoid",
    "tanh": "Tanh", "softmax": "Softmax", "log_softmax": "LogSoftmax",
    "batch_norm": "BatchNormalization (running statistics)", "sum": "ReduceSum",
    "mean": "ReduceMean", "amax": "ReduceMax", "amin": "ReduceMin",
    "reshape": "Flatten / Reshape", "permute": "Transpose", "expand": "Expand",
    "flip": "Slice (step −1)", "clone": "Identity", "cat": "Concat",
    "take_along_dim": "ReduceMax / ReduceMin (x.max(dim)), else GatherElements",
    "getitem": "Slice, Squeeze, Unsqueeze / Gather", "constant_pad": "Pad (constant)",
    "index_pad": "Pad (reflect / edge / wrap)",
}


def _version() -> str:
    from . import __version__
    return str(__version__)


# ---------------------------------------------------------------------------------------------
# The public function
# ---------------------------------------------------------------------------------------------
def _example_arrays(example_input: Any, dynamic_batch: bool) -> list[np.ndarray]:
    items = list(example_input) if isinstance(example_input, (tuple, list)) else [example_input]
    if not items:
        raise ValueError("export: example_input is empty; expected a Tensor (or array) such as a "
                         "batch of shape (N, 1, 28, 28), or a tuple of them")
    arrays = []
    for i, item in enumerate(items):
        array = np.asarray(item.data if isinstance(item, Tensor) else item)
        where = f"example_input[{i}]" if len(items) > 1 else "example_input"
        if array.dtype.kind != "f":
            raise TypeError(f"export: {where} has dtype {array.dtype} (shape {array.shape}); "
                            "expected a floating-point array such as float32 images")
        if dynamic_batch and (array.ndim == 0 or array.shape[0] < 1):
            raise ValueError(f"export: {where} of shape {array.shape} has no batch axis; expected "
                             "(N, ...) with N >= 1, or pass dynamic_batch=False")
        arrays.append(array.copy())
    return arrays


def _names(given: Sequence[str] | None, count: int, default: str, what: str) -> list[str]:
    if given is None:
        return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]
    names = [given] if isinstance(given, str) else list(given)
    if len(names) != count or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"export: {what} {names!r} must name each of the model's {count} "
                         f"{what.split('_')[0]}(s) with a non-empty string")
    if len(set(names)) != len(names):
        raise ValueError(f"export: {what} {names!r} repeat a name; ONNX names must be unique")
    return names


def export(model: Callable[..., Any], example_input: Any, path: str | os.PathLike | Any,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           dynamic_batch: bool = True, opset: int = DEFAULT_OPSET, *,
           opset_version: int | None = None) -> Any:
    """Write `model` as an ONNX file, like `torch.onnx.export(model, args, f)`.

    Runs `model(example_input)` once in eval mode (every module's mode is restored afterwards),
    records its graph and writes it to `path` (a file path, written atomically, or a binary file
    object). `example_input` is a Tensor or array (or a tuple of them for several inputs).
    `input_names`/`output_names` default to "input"/"output". With `dynamic_batch` the first
    axis of inputs and outputs is the symbolic "batch": the file runs at any batch size.
    `opset` (default 17, the ONNX operator-set version; `opset_version=` as in PyTorch is the
    same) may be 13 up to what the installed onnx supports. Returns the `onnx.ModelProto`
    (checked with `onnx.checker`, full check).

    Raises `UnsupportedOpError` (a ValueError) naming the op, its place in the graph and its
    module when an op has no ONNX counterpart — a loss, for instance: export model(x), not the loss.
    """
    onnx = _import_onnx()
    if not callable(model):
        raise TypeError(f"export: model is a {type(model).__name__}; expected a Module or a callable")
    if opset_version is not None:
        if opset not in (DEFAULT_OPSET, opset_version):
            raise ValueError(f"export: opset={opset!r} and opset_version={opset_version!r} differ; "
                             "pass one of them")
        opset = opset_version
    latest = int(onnx.defs.onnx_opset_version())
    if (isinstance(opset, bool) or not isinstance(opset, (int, np.integer))
            or not MIN_OPSET <= opset <= latest):
        raise ValueError(f"export: opset {opset!r} is not supported; expected an int from {MIN_OPSET} "
                         f"to {latest} (the installed onnx {onnx.__version__}); default {DEFAULT_OPSET}")
    arrays = _example_arrays(example_input, dynamic_batch)
    inputs = _names(input_names, len(arrays), "input", "input_names")
    trace = _trace(model, arrays)
    outputs = _names(output_names, len(trace.outputs), "output", "output_names")
    if set(inputs) & set(outputs):
        raise ValueError(f"export: input_names {inputs} and output_names {outputs} share a name")
    _check_ops(trace)
    probe_inputs = _probe_arrays(arrays, dynamic_batch)
    what = (f"batch size {len(probe_inputs[0])} and other input values" if dynamic_batch
            else "other input values")
    try:
        with np.errstate(all="ignore"):
            probe = _trace(model, probe_inputs)
    except Exception as err:
        raise ValueError(f"export: the model fails on the second run that export makes (at {what}, "
                         "to find which sizes follow the batch and which values follow the input): "
                         f"{type(err).__name__}: {err}"
                         + ("; if it works at the example's batch size only, pass "
                            "dynamic_batch=False" if dynamic_batch else "")) from err
    _check_same_graph(trace, probe, what)
    graph_name = getattr(model, "__name__", None) or type(model).__name__
    proto = _Builder(onnx, trace, probe, dynamic_batch, int(opset), inputs, outputs).build(
        graph_name, f"exported by tinygrad_cnn from:\n{model!r}")
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    if hasattr(path, "write"):
        path.write(data)
    else:
        from .atomic import atomic_write_bytes
        atomic_write_bytes(os.fspath(path), data)
    return proto
