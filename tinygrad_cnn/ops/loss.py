"""Softmax, log-softmax and the losses, each fused with its reduction.

A loss first computes one value per sample (or element), E_n, then reduces: 'none' keeps them,
'sum' adds them, 'mean' divides the sum by D (the number of elements, or the total class weight
of the non-ignored targets for the class-index losses, as PyTorch). So every backward starts from
δ_n = δ (none), δ (sum) or δ / D (mean), spread back over the samples by `per_sample`.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from .activation import stable_sigmoid


def log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """z − logsumexp(z), with the maximum subtracted first (no overflow for large logits)."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reduce(losses: np.ndarray, reduction: str, divisor) -> np.ndarray:
    """'none': E_n; 'sum': Σ E_n; 'mean': Σ E_n / D (nan for D = 0, as PyTorch: every target
    ignored, or a total class weight of 0, where Σ E_n may still hold a smoothing term)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / divisor if divisor else np.full_like(total, np.nan)


def per_sample(grad: np.ndarray, shape: tuple, reduction: str, divisor) -> np.ndarray:
    """δ_n of every sample from the δ of the reduced loss (the VJP of `reduce`)."""
    if reduction == "none":
        return grad
    if reduction == "mean":   # D = 0: every target ignored, nothing to learn from (δ = 0, as PyTorch)
        grad = grad / divisor if divisor else np.zeros_like(grad)
    return np.broadcast_to(grad, shape)


def target_distribution(target: np.ndarray, classes: int, weight, ignore_index: int,
                        smoothing: float, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(Q, D): the weighted target distribution Q[n, c] over the classes (last axis) and the
    'mean' divisor D. Class indices t: Q = keep·((1−ε)·w[t]·onehot(t) + ε·w/C), D = Σ keep·w[t]
    (keep = t ≠ ignore_index). Probabilities p: Q = w·((1−ε)·p + ε/C), D = the number of samples.
    """
    w = np.ones(classes, dtype) if weight is None else weight.astype(dtype)
    if target.dtype.kind == "f":
        return w * ((1 - smoothing) * target + smoothing / classes), np.asarray(target.size // classes, dtype)
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    w_t = w[t] * keep
    q = np.eye(classes, dtype=dtype)[t] * ((1 - smoothing) * w_t)[..., None]
    if smoothing:
        q += (smoothing / classes) * w * keep[..., None]
    return q, np.asarray(w_t.sum(), dtype)


class Softmax(Function):
    op = "softmax"

    def forward(self, z, axis=-1):
        """y = exp(z − logsumexp(z)) along the axis"""
        y = np.exp(log_softmax(z, axis))
        self.save_for_backward(y, axis)
        return y

    def backward(self, grad):
        """δz = y ∘ (δ − Σ_k δ_k y_k), y = softmax(z)"""
        y, axis = self.saved_tensors
        return y * (grad - (grad * y).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    op = "log_softmax"

    def forward(self, z, axis=-1):
        """y = z − logsumexp(z) along the axis"""
        out = log_softmax(z, axis)
        self.save_for_backward(np.exp(out), axis)
        return out

    def backward(self, grad):
        """δz = δ − softmax(z) ∘ Σ_k δ_k"""
        y, axis = self.saved_tensors
        return grad - y * grad.sum(axis=axis, keepdims=True)


class CrossEntropy(Function):
    """Softmax and cross-entropy fused, logits (N, C, d…), classes on axis 1; target class indices
    (N, d…) or probabilities (N, C, d…)."""

    op = "cross_entropy"

    def forward(self, logits, target, weight=None, ignore_index=-100, reduction="mean",
                label_smoothing=0.0):
        """E_n = −Σ_c Q[n,c] · log softmax(z_n)[c]   (Q: `target_distribution`)"""
        logp = log_softmax(np.moveaxis(logits, 1, -1), axis=-1)          # classes last
        target = np.moveaxis(target, 1, -1) if target.dtype.kind == "f" else target
        q, divisor = target_distribution(target, logp.shape[-1], weight, ignore_index,
                                         label_smoothing, logp.dtype)
        self.save_for_backward(logp, q, divisor)
        return reduce(-(q * logp).sum(axis=-1), reduction, divisor)

    def backward(self, grad):
        """δz = (softmax(z) · Σ_c Q[n,c] − Q) · δ_n   (= (softmax(z) − onehot(t)) / N for plain labels)
        δp = −w·(1−ε) · log softmax(z) · δ_n   (probability targets only)"""
        logp, q, divisor = self.saved_tensors
        reduction = self.attrs.get("reduction", "mean")
        delta = per_sample(grad, q.shape[:-1], reduction, divisor)[..., None]
        dz = (np.exp(logp) * q.sum(axis=-1, keepdims=True) - q) * delta
        dp = None
        if self.needs_input_grad[1]:
            w = 1.0 if self.attrs.get("weight") is None else self.attrs["weight"]
            dp = np.moveaxis(-w * (1 - self.attrs.get("label_smoothing", 0.0)) * logp * delta, -1, 1)
        return np.moveaxis(dz, -1, 1), dp


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities x (N, C, d…) at class indices t (N, d…)."""

    op = "nll_loss"

    def forward(self, x, target, weight=None, ignore_index=-100, reduction="mean"):
        """E_n = −w[t_n] · x[n, t_n]   (0 where t_n = ignore_index)"""
        q, divisor = target_distribution(target, x.shape[1], weight, ignore_index, 0.0, x.dtype)
        self.save_for_backward(q, divisor)
        return reduce(-(q * np.moveaxis(x, 1, -1)).sum(axis=-1), reduction, divisor)

    def backward(self, grad):
        """δx[n,c] = −w[t_n] · 1[c = t_n] · δ_n"""
        q, divisor = self.saved_tensors
        delta = per_sample(grad, q.shape[:-1], self.attrs.get("reduction", "mean"), divisor)
        return np.moveaxis(-q * delta[..., None], -1, 1), None


class MSELoss(Function):
    op = "mse_loss"

    def forward(self, y, target, reduction="mean"):
        """E_i = (y_i − t_i)²"""
        diff = y - target
        self.save_for_backward(diff)
        return reduce(diff * diff, reduction, np.asarray(diff.size, diff.dtype))

    def backward(self, grad):
        """δy = 2(y − t) ∘ δ_i, δt = −δy"""
        (diff,) = self.saved_tensors
        dy = 2 * diff * per_sample(grad, diff.shape, self.attrs.get("reduction", "mean"),
                                   np.asarray(diff.size, diff.dtype))
        return dy, (-dy if self.needs_input_grad[1] else None)


class L1Loss(Function):
    op = "l1_loss"

    def forward(self, y, target, reduction="mean"):
        """E_i = |y_i − t_i|"""
        diff = y - target
        self.save_for_backward(np.sign(diff))
        return reduce(np.abs(diff), reduction, np.asarray(diff.size, diff.dtype))

    def backward(self, grad):
        """δy = sign(y − t) ∘ δ_i, δt = −δy"""
        (sign,) = self.saved_tensors
        dy = sign * per_sample(grad, sign.shape, self.attrs.get("reduction", "mean"),
                               np.asarray(sign.size, sign.dtype))
        return dy, (-dy if self.needs_input_grad[1] else None)


class SquaredError(Function):
    """R. B. Palm's DeepLearnToolbox (MATLAB) CNN error, E = ½ Σ (y − t)² / N, N the batch size
    (the first axis): what its cnnff/cnnbp minimise."""

    op = "squared_error"

    def forward(self, y, target):
        """E = ½ Σ (y − t)² / N"""
        diff = y - target
        n = np.asarray(max(y.shape[0] if y.ndim else 1, 1), dtype=diff.dtype)
        self.save_for_backward(diff, n)
        return np.vdot(diff, diff) / (2 * n)

    def backward(self, grad):
        """δy = (y − t) / N · δ, δt = −δy"""
        diff, n = self.saved_tensors
        dy = diff * (grad / n)
        return dy, (-dy if self.needs_input_grad[1] else None)


class BinaryCrossEntropy(Function):
    op = "binary_cross_entropy"

    def forward(self, y, target, weight=None, reduction="mean"):
        """E_i = −w_i (t_i log y_i + (1 − t_i) log(1 − y_i))   (each log clamped at −100, as PyTorch)"""
        with np.errstate(divide="ignore"):
            log_y, log_1my = np.maximum(np.log(y), -100), np.maximum(np.log1p(-y), -100)
        w = 1.0 if weight is None else weight
        self.save_for_backward(y, target, log_y, log_1my, w)
        return reduce(-w * (target * log_y + (1 - target) * log_1my), reduction,
                      np.asarray(y.size, y.dtype))

    def backward(self, grad):
        """δy = w (y − t) / max(y(1 − y), 1e-12) ∘ δ_i,  δt = −w (log y − log(1 − y)) ∘ δ_i"""
        y, target, log_y, log_1my, w = self.saved_tensors
        delta = w * per_sample(grad, y.shape, self.attrs.get("reduction", "mean"),
                               np.asarray(y.size, y.dtype))
        dy = (y - target) / np.maximum(y * (1 - y), 1e-12) * delta
        return dy, (-(log_y - log_1my) * delta if self.needs_input_grad[1] else None)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ) without overflow."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


class BinaryCrossEntropyWithLogits(Function):
    op = "binary_cross_entropy_with_logits"

    def forward(self, x, target, weight=None, pos_weight=None, reduction="mean"):
        """E_i = w_i ((1 − t_i) x_i + L_i · log(1 + e^(−x_i))),  L = 1 + (pos_weight − 1) t"""
        pw = 1.0 if pos_weight is None else pos_weight
        log_weight, sp = 1 + (pw - 1) * target, softplus(-x)
        w = 1.0 if weight is None else weight
        self.save_for_backward(x, target, log_weight, sp, pw, w)
        return reduce(w * ((1 - target) * x + log_weight * sp), reduction, np.asarray(x.size, x.dtype))

    def backward(self, grad):
        """δx = w ((1 − t) − L σ(−x)) ∘ δ_i  (= w (σ(x) − t) without pos_weight),
        δt = w (−x + (pos_weight − 1) log(1 + e^(−x))) ∘ δ_i"""
        x, target, log_weight, sp, pw, w = self.saved_tensors
        delta = w * per_sample(grad, x.shape, self.attrs.get("reduction", "mean"),
                               np.asarray(x.size, x.dtype))
        dx = ((1 - target) - log_weight * stable_sigmoid(-x)) * delta
        return dx, ((-x + (pw - 1) * sp) * delta if self.needs_input_grad[1] else None)
