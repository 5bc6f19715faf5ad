"""Parametrizations built on `parametrize` (PyTorch's `torch.nn.utils.parametrizations`):
`weight_norm`, `spectral_norm`, `orthogonal`.

`orthogonal`'s maps are compositions of tensor ops (differentiable by autograd): the matrix
exponential by scaling and squaring of a degree-18 Taylor polynomial, the Cayley map by
Gauss-Jordan elimination (no pivoting is needed: ``I - A/2`` with skew-symmetric ``A`` has a
positive-definite symmetric part), Householder products as a loop of rank-1 updates.  The QR
factorisations that only initialise ``orthogonal`` (``_make_orthogonal``, ``geqrf``) run on the host
through numpy, on a detached copy, as tritorch has no QR op.
"""
import math
from enum import Enum, auto

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _norm_except_dim(v, dim):
    """2-norm over every dim but ``dim`` (keepdim); the whole tensor when ``dim == -1``."""
    if dim == -1:
        return v.norm()
    dims = [d for d in range(v.ndim) if d != dim]
    return v.norm(dim=dims, keepdim=True) if dims else v.abs()


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """``module.<name> = g * v / ||v||`` with the norm over every dim but ``dim`` (all dims for
    ``dim=None``); ``original0`` is g, ``original1`` is v."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)
    module._register_load_state_dict_pre_hook(_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """``module.<name> = W / sigma(W)``, sigma the largest singular value estimated by power iteration
    (one step per training-mode access); buffers ``_u`` and ``_v`` hold the singular vectors."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__ in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _eye_like(n, like):
    from ... import eye
    return eye(n, dtype=like.dtype, device=like.device)


def _matrix_exp(A):
    """exp(A) for (..., n, n): scaling and squaring of a degree-18 Taylor polynomial."""
    with no_grad():
        norm1 = float(A.detach().abs().sum(-2).amax()) if A.numel() else 0.0
    s = max(0, int(math.ceil(math.log2(norm1))) + 1) if norm1 > 0.5 else 0
    X = A / (2.0 ** s)
    term = _eye_like(A.shape[-1], A).expand(A.shape)
    result = term
    for k in range(1, 19):
        term = (term @ X) / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


def _solve_no_pivot(M, B):
    """M^{-1} B by Gauss-Jordan elimination, for M whose symmetric part is positive definite."""
    n = M.shape[-1]
    from ... import cat
    Aug = cat([M, B], dim=-1)
    for i in range(n):
        row = Aug[..., i:i + 1, :] / Aug[..., i:i + 1, i:i + 1]
        col = Aug[..., :, i:i + 1]
        onehot = _eye_like(n, M)[:, i:i + 1]
        Aug = Aug - (col - onehot) * row
    return Aug[..., :, n:]


def _householder_product(A, tau):
    """Q = H_1 ... H_k (first k columns), H_i = I - tau_i v_i v_i^T with v_i = A[..., :, i] below the
    diagonal and 1 on it.  A: (..., n, k), tau: (..., k)."""
    n, k = A.shape[-2], A.shape[-1]
    from ... import arange
    rows = arange(n, device=A.device)
    Q = _eye_like(n, A).expand(*A.shape[:-2], n, n)
    for i in range(k):
        v = A[..., :, i] * (rows > i).to(A.dtype) + (rows == i).to(A.dtype)
        Qv = (Q @ v.unsqueeze(-1))
        Q = Q - tau[..., i, None, None] * Qv * v.unsqueeze(-2)
    return Q[..., :, :k]


def _host_geqrf(A):
    """LAPACK geqrf of each (n, k) matrix (n >= k), through numpy on the host: (a, tau)."""
    from ... import from_numpy
    a = A.detach().cpu().numpy().astype(np.float64)
    batch = a.reshape(-1, *a.shape[-2:])
    hs, taus = [], []
    for m in batch:
        h, tau = np.linalg.qr(m, mode="raw")
        hs.append(h.T)
        taus.append(tau)
    h = np.stack(hs).reshape(a.shape)
    tau = np.stack(taus).reshape(*a.shape[:-2], -1)
    return (from_numpy(np.ascontiguousarray(h)).to(A.device, A.dtype),
            from_numpy(np.ascontiguousarray(tau)).to(A.device, A.dtype))


def _make_orthogonal(A):
    """Q of A = QR with diag(R) >= 0 (A tall)."""
    X, tau = _host_geqrf(A)
    Q = _householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


def _is_orthogonal(Q):
    from ... import finfo, allclose
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * finfo(Q.dtype).eps
    return allclose(Q.mT @ Q, _eye_like(k, Q), atol=eps)


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                from ... import cat
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map is _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                Id = _eye_like(n, A)
                Q = _solve_no_pivot(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                                 f"shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                A, tau = _host_geqrf(Q)
                d = A.diagonal(dim1=-2, dim2=-1)
                d.copy_(d.sign() * (tau != 0).to(d.dtype) * 2 - d.sign())
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                from ... import randn, cat
                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_id = Q_init.new_zeros(Q_init.shape)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrizes ``module.<name>`` (a matrix or batch of matrices) to have orthonormal columns (tall)
    or rows (wide), through ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default: matrix_exp for
    square matrices, householder otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
                         f"{orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
