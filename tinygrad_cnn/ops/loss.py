"""Softmax, log-softmax and the losses: fused softmax + cross-entropy, squared error."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


def log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """z − logsumexp(z), with the maximum subtracted first (no overflow for large logits)."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    op = "softmax"

    def forward(self, z, axis=-1):
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
        out = log_softmax(z, axis)
        self.save_for_backward(np.exp(out), axis)
        return out

    def backward(self, grad):
        """δz = δ − softmax(z) ∘ Σ_k δ_k"""
        y, axis = self.saved_tensors
        return grad - y * grad.sum(axis=axis, keepdims=True)


class CrossEntropy(Function):
    """E = −(1/N) Σ_n log softmax(z_n)[t_n] for logits z (N, K) and integer labels t (N,)."""

    op = "cross_entropy"

    def forward(self, logits, labels):
        if logits.ndim != 2:
            raise ValueError(f"cross_entropy: expected logits of shape (N, K), got {logits.shape}")
        n, k = logits.shape
        if labels.dtype.kind not in "iu":
            raise TypeError(f"cross_entropy: labels must be integers, got dtype {labels.dtype} "
                            f"(shape {labels.shape})")
        if labels.shape != (n,):
            raise ValueError(f"cross_entropy: labels of shape {labels.shape} do not match logits "
                             f"{logits.shape}; expected ({n},), one class index per row")
        if n and (labels.min() < 0 or labels.max() >= k):
            bad = labels[(labels < 0) | (labels >= k)][0]
            raise ValueError(f"cross_entropy: label {bad} is out of range for logits {logits.shape}; "
                             f"expected 0..{k - 1}")
        logp = log_softmax(logits, axis=1)
        self.save_for_backward(np.exp(logp), labels)
        return -logp[np.arange(n), labels].mean()

    def backward(self, grad):
        """δz = (softmax(z) − onehot(t)) / N · δ"""
        probs, labels = self.saved_tensors
        n = len(labels)
        dz = probs.copy()
        dz[np.arange(n), labels] -= 1
        return dz * (grad / n), None


class SquaredError(Function):
    """E = c · Σ (y − t)²; subclasses fix the constant c."""

    def scale(self, y: np.ndarray) -> float:
        raise NotImplementedError

    def forward(self, y, target):
        if y.shape != target.shape:
            raise ValueError(f"{self.op}: prediction shape {y.shape} and target shape "
                             f"{target.shape} differ; expected equal shapes (no broadcasting)")
        diff = y - target
        c = np.asarray(self.scale(y), dtype=diff.dtype)
        self.save_for_backward(diff, c)
        return c * np.vdot(diff, diff)

    def backward(self, grad):
        """δy = 2c (y − t) · δ, δt = −δy  (mse: c = 1/size; squared_error: c = 1/(2N), δy = (y − t)/N)"""
        diff, c = self.saved_tensors
        dy = diff * (2 * c * grad)
        return dy, (-dy if self.needs_input_grad[1] else None)


class MSELoss(SquaredError):
    """E = Σ (y − t)² / size: the mean over every element, as PyTorch's mse_loss."""

    op = "mse_loss"

    def scale(self, y):
        return 1.0 / max(y.size, 1)


class HalfSquaredError(SquaredError):
    """E = ½ Σ (y − t)² / N, N = batch size: the toolbox error of seed 001."""

    op = "squared_error"

    def scale(self, y):
        return 0.5 / max(y.shape[0] if y.ndim else 1, 1)
