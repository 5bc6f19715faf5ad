"""`einsum` and `tensordot`, composed of views, `sum` and the `matmul` op.

einsum plan: (1) a label repeated inside one operand becomes a `diagonal` view; (2) labels
that appear in one operand only and not in the output are summed away; (3) operands are
contracted left to right, each pair as ONE batched matmul: A is permuted to
(batch..., left..., contracted...) and reshaped to (*batch, L, C), B to (*batch, C, R);
(4) leftover labels are summed and the result permuted into output order.  Every step
is a differentiable tensor op, so gradients (and double backward) come for free.
Ellipsis dims become labels of their own, right-aligned across operands, and broadcast
(size 1 against n) like PyTorch's.

The products go through the ``@`` operator (``linalg.matmul``): ``linalg`` sits above this module
(its ``inner`` uses ``tensordot``), so nothing here imports it.
"""
from __future__ import annotations

import math
import numbers
from typing import Sequence

from .._dtype import TORCH_NAMES
from ._common import Tensor, wrap_dim, check_unique_dims, write_out

__all__ = ["einsum", "tensordot"]


def _sort_key(label):
    # Ellipsis labels are ('.', position); letters sort in ASCII order (A-Z before a-z), as PyTorch.
    return (0, label[1]) if isinstance(label, tuple) else (1, label)


def _parse_term(term, start, ndim, k):
    """Labels of one operand term (a string) -> list with one entry per dim."""
    letters, ell_at, i = [], None, 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any ellipsis")
            if ell_at is not None:
                raise RuntimeError(f"einsum(): found '.' for operand {k} for which an ellipsis was already found")
            ell_at = len(letters)
            i += 3
            continue
        if not (c.isascii() and c.isalpha()):
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
        letters.append(c)
        i += 1
    if ell_at is None:
        if len(letters) != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match "
                               f"the number of dimensions ({ndim}) for operand {k} and no ellipsis was given")
        return letters, 0
    n_ell = ndim - len(letters)
    if n_ell < 0:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(letters)}) is more than the "
                           f"number of dimensions ({ndim}) for operand {k}")
    return letters[:ell_at] + [("...", j - n_ell) for j in range(n_ell)] + letters[ell_at:], n_ell


def _from_sublists(args):
    """einsum(op0, sub0, op1, sub1, ..., [out]) -> (equation, operands)."""
    def conv(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, numbers.Integral) and 0 <= s < 52:
                out.append(chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26))
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), "
                                 f"got {s}")
        return "".join(out)
    ops, terms = list(args[0::2]), [conv(s) for s in args[1::2]]
    out = None
    if len(ops) > len(terms):
        out = ops.pop()
        out = conv(out)
    eq = ",".join(terms) + ("->" + out if out is not None else "")
    return eq, ops


def einsum(*args: str | Tensor | Sequence) -> Tensor:
    """Einstein summation: ``einsum("bij,bjk->bik", a, b)``; also ``einsum(eq, [a, b])`` and the
    sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.  Output: one dim per output subscript."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand")
    if isinstance(args[0], Tensor):
        equation, operands = _from_sublists(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not {type(equation).__name__}")
    for k, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): argument 'operands' must be tuple of Tensors, but found element of type "
                            f"{type(x).__name__} at pos {k}")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for x in operands[1:]:
        if x.dtype is not operands[0].dtype:
            raise RuntimeError(f"expected scalar type {TORCH_NAMES[operands[0].dtype]} but found "
                               f"{TORCH_NAMES[x.dtype]}")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")

    labels, pos, max_ell = [], 0, 0
    for k, (t, x) in enumerate(zip(terms, operands)):
        lab, n_ell = _parse_term(t, pos, x._data.ndim, k)
        labels.append(lab)
        max_ell = max(max_ell, n_ell)
        pos += len(t) + 1
    sizes = {}
    for k, (lab, x) in enumerate(zip(labels, operands)):
        own = {}
        for lb, s in zip(lab, x._data.shape):
            if lb in own and own[lb] != s:
                raise RuntimeError(f"einsum(): subscript {lb} is repeated for operand {k} but the sizes don't match, "
                                   f"{s} != {own[lb]}")
            own[lb] = s
        for lb, s in zip(lab, x._data.shape):
            prev = sizes.get(lb)
            if prev is None or prev == 1:
                sizes[lb] = s
            elif s != prev and s != 1:
                if isinstance(lb, tuple):
                    raise RuntimeError(f"einsum(): operands do not broadcast: ellipsis dimension of size {s} for "
                                       f"operand {k} against previously seen size {prev}")
                raise RuntimeError(f"einsum(): subscript {lb} has size {s} for operand {k} which does not broadcast "
                                   f"with previously seen size {prev}")
    out_labels = _output_labels(arrow, rhs, labels, max_ell, len(lhs) + 2)

    # (1) diagonals of repeated labels, (2) sum labels private to one operand.
    counts = {}
    xs = []
    for k, (lab, x) in enumerate(zip(labels, operands)):
        x, lab = _diagonals(x, list(lab), k)
        xs.append([x, lab])
        for lb in set(lab):
            counts[lb] = counts.get(lb, 0) + 1
    out_set = set(out_labels)
    for item in xs:
        x, lab = item
        private = [i for i, lb in enumerate(lab) if counts[lb] == 1 and lb not in out_set]
        if private and len(xs) > 1:
            item[0] = x.sum(private, dtype=x.dtype)
            item[1] = [lb for i, lb in enumerate(lab) if i not in private]

    # (3) pairwise contraction, left to right.
    cur, cur_lab = xs[0]
    for j in range(1, len(xs)):
        later = set(out_set)
        for _, lab in xs[j + 1:]:
            later.update(lab)
        cur, cur_lab = _contract(cur, cur_lab, xs[j][0], xs[j][1], later)

    # (4) sum what the output does not keep, then order like the output.
    drop = [i for i, lb in enumerate(cur_lab) if lb not in out_set]
    if drop:
        cur = cur.sum(drop)
        cur_lab = [lb for i, lb in enumerate(cur_lab) if i not in drop]
    perm = [cur_lab.index(lb) for lb in out_labels]
    if perm != list(range(len(perm))):
        cur = cur.permute(perm)
    return cur


def _output_labels(arrow, rhs, labels, max_ell, start):
    ell = [("...", j - max_ell) for j in range(max_ell)]
    if not arrow:
        counts = {}
        for lab in labels:
            for lb in lab:
                if not isinstance(lb, tuple):
                    counts[lb] = counts.get(lb, 0) + 1
        return ell + sorted((lb for lb, c in counts.items() if c == 1), key=_sort_key)
    seen = set()
    for lab in labels:
        seen.update(lab)
    out, i, has_ell = [], 0, False
    while i < len(rhs):
        c = rhs[i]
        if c == ".":
            if rhs[i:i + 3] != "..." or has_ell:
                raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis or was "
                                   "already found")
            out.extend(ell)
            has_ell = True
            i += 3
            continue
        if not (c.isascii() and c.isalpha()):
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
        if c in out:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
        if c not in seen:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                               f"operand")
        out.append(c)
        i += 1
    return out


def _diagonals(x, lab, k):
    """Take the diagonal for every label repeated inside one operand (the diagonal dim goes last)."""
    while True:
        for i in range(len(lab)):
            if lab[i] in lab[i + 1:]:
                j = lab.index(lab[i], i + 1)
                si, sj = x._data.shape[i], x._data.shape[j]
                if si != sj:
                    raise RuntimeError(f"einsum(): subscript {lab[i]} is repeated for operand {k} but the sizes "
                                       f"don't match, {sj} != {si}")
                lb = lab[i]
                x = x.diagonal(0, i, j)
                lab = [v for t, v in enumerate(lab) if t != i and t != j] + [lb]
                break
        else:
            return x, lab


def _contract(a, la, b, lb, later):
    """One pairwise step: a batched matmul over (batch, left, contracted) x (batch, contracted, right)."""
    sb_ = set(lb)
    sa_ = set(la)
    # Labels neither kept later nor shared are summed first (cheaper, and keeps the matmul plain).
    da = [i for i, lab in enumerate(la) if lab not in later and lab not in sb_]
    if da:
        a = a.sum(da, dtype=a.dtype)
        la = [lab for i, lab in enumerate(la) if i not in da]
        sa_ = set(la)
    db = [i for i, lab in enumerate(lb) if lab not in later and lab not in sa_]
    if db:
        b = b.sum(db, dtype=b.dtype)
        lb = [lab for i, lab in enumerate(lb) if i not in db]
        sb_ = set(lb)
    batch = [lab for lab in la if lab in sb_ and lab in later]
    contr = [lab for lab in la if lab in sb_ and lab not in later]
    left = [lab for lab in la if lab not in sb_]
    right = [lab for lab in lb if lab not in sa_]
    # A contracted label of size 1 on one side broadcasts: sum the other side over it first.
    for lab in contr:
        ia, ib = la.index(lab), lb.index(lab)
        na, nb = a._data.shape[ia], b._data.shape[ib]
        if na != nb:
            if na == 1:
                b = b.sum(ib, keepdim=True, dtype=b.dtype)
            else:
                a = a.sum(ia, keepdim=True, dtype=a.dtype)
    pa = [la.index(lab) for lab in batch + left + contr]
    pb = [lb.index(lab) for lab in batch + contr + right]
    a = a.permute(pa) if pa != list(range(len(pa))) else a
    b = b.permute(pb) if pb != list(range(len(pb))) else b
    nbt = len(batch)
    sa, sb = a._data.shape, b._data.shape
    left_sizes = sa[nbt:nbt + len(left)]
    right_sizes = sb[nbt + len(contr):]
    k = math.prod(sa[nbt + len(left):])
    a3 = a.reshape(sa[:nbt] + (math.prod(left_sizes), k))
    b3 = b.reshape(sb[:nbt] + (k, math.prod(right_sizes)))
    r = a3 @ b3
    r = r.reshape(r._data.shape[:nbt] + tuple(left_sizes) + tuple(right_sizes))
    return r, batch + left + right


def _int_list(v, name, pos):
    """One of tensordot's dim lists, checked as PyTorch's argument parser does."""
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of ints, not "
                        f"{type(v).__name__}")
    for i, d in enumerate(v):
        if not isinstance(d, numbers.Integral) or isinstance(d, bool):
            raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of ints, but found "
                            f"element of type {type(d).__name__} at pos {i}")
    return [int(d) for d in v]


def tensordot(a: Tensor, b: Tensor, dims: int | Sequence[Sequence[int]] | Tensor = 2,
              out: Tensor | None = None) -> Tensor:
    """Sum-product over ``dims``: an int (last dims of a with first dims of b) or a pair of
    dim lists.  Output: (a's free dims..., b's free dims...)."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("tensordot(): arguments 'a' and 'b' must be Tensors")
    na, nb = a._data.ndim, b._data.ndim
    if not isinstance(dims, (tuple, list, Tensor, numbers.Integral)):
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    if isinstance(dims, Tensor):
        dims = int(dims.item()) if dims.numel() <= 1 else dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims  # ValueError for anything but a pair, as in PyTorch
        da, db = _int_list(da, "dims_self", 3), _int_list(db, "dims_other", 4)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    # A 0-d operand has no dim to contract (PyTorch: "Dimension specified as 0 but tensor has no dimensions").
    wa = [wrap_dim(d, na, "tensordot", wrap_scalar=False) for d in da]
    wb = [wrap_dim(d, nb, "tensordot", wrap_scalar=False) for d in db]
    for x, y, ox, oy in zip(wa, wb, da, db):
        sa, sb = a._data.shape[x], b._data.shape[y]
        if sb == 1 and sa != 1:  # a size-1 dim broadcasts: sum the other side's dim first (PyTorch does)
            a = a.sum(x, keepdim=True, dtype=a.dtype)
        elif sa == 1 and sb != 1:
            b = b.sum(y, keepdim=True, dtype=b.dtype)
        elif sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim "
                               f"{ox} and second has size {sb} in dim {oy}")
    check_unique_dims(wa)
    check_unique_dims(wb)
    fa = [i for i in range(na) if i not in wa]
    fb = [i for i in range(nb) if i not in wb]
    free_a = tuple(a._data.shape[i] for i in fa)
    free_b = tuple(b._data.shape[i] for i in fb)
    k = math.prod(a._data.shape[i] for i in wa)
    at = a.permute(fa + wa).reshape(math.prod(free_a), k)
    bt = b.permute(wb + fb).reshape(k, math.prod(free_b))
    r = (at @ bt).reshape(free_a + free_b)
    return write_out(r, out, "tensordot")
