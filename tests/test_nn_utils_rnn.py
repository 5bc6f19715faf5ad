"""tritorch.nn.utils.rnn against torch.nn.utils.rnn on the same data: packings, paddings,
lengths, indices, gradients through pack -> pad round trips, device moves and PyTorch's errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import tritorch as tt
import tritorch.nn.utils.rnn as rnn


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().cpu().numpy(force=True))


def _same(a, b):
    """tritorch ``a`` equals torch ``b`` (values, shape, dtype name); None matches None."""
    if b is None:
        assert a is None
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_array_equal(_np(a), _np(b))


def _same_packed(p, q, device):
    _same(p.data, q.data)
    _same(p.batch_sizes, q.batch_sizes)
    _same(p.sorted_indices, q.sorted_indices)
    _same(p.unsorted_indices, q.unsorted_indices)
    assert p.data.device.type == device and p.batch_sizes.device.type == "cpu"
    for idx in (p.sorted_indices, p.unsorted_indices):
        assert idx is None or idx.device.type == device


def _pair(shape, device, dtype=np.float64):
    x = np.random.randn(*shape).astype(dtype)
    return tt.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)


CASES = [  # batch_first, enforce_sorted, lengths, trailing dims
    (False, True, [4, 3, 1], ()),
    (True, False, [2, 4, 2], (2, 3)),
    (False, False, [1, 3, 3], (2,)),
    (True, True, [3, 3, 2], ()),
]


@pytest.mark.parametrize("batch_first, enforce_sorted, lengths, trailing", CASES)
def test_pack_pad_round_trip(device, batch_first, enforce_sorted, lengths, trailing):
    shape = (3, 4, *trailing) if batch_first else (4, 3, *trailing)
    a, b = _pair(shape, device)
    lengths_t = torch.tensor(lengths)
    p = rnn.pack_padded_sequence(a, tt.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    q = trnn.pack_padded_sequence(b, lengths_t, batch_first=batch_first, enforce_sorted=enforce_sorted)
    _same_packed(p, q, device)
    assert isinstance(p, rnn.PackedSequence) and isinstance(p, tuple) and p._fields == q._fields

    out, lens = rnn.pad_packed_sequence(p, batch_first=batch_first, padding_value=-2.5, total_length=5)
    ref, ref_lens = trnn.pad_packed_sequence(q, batch_first=batch_first, padding_value=-2.5, total_length=5)
    _same(out, ref)
    _same(lens, ref_lens)
    assert lens.device.type == "cpu"
    _same(rnn.pad_packed_sequence(p, batch_first=batch_first)[0], trnn.pad_packed_sequence(q, batch_first=batch_first)[0])

    w = np.random.randn(*ref.shape)
    (out * tt.tensor(w, device=device)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    _same(a.grad, b.grad)

    for u, v in zip(rnn.unpack_sequence(p), trnn.unpack_sequence(q), strict=True):
        _same(u, v)


def test_pack_list_lengths_truncates_and_packs_any_dtype(device):
    x = np.arange(12).reshape(4, 3)
    p = rnn.pack_padded_sequence(tt.tensor(x, device=device), [4, 2.7, 1])
    q = trnn.pack_padded_sequence(torch.tensor(x), [4, 2.7, 1])
    _same_packed(p, q, device)


@pytest.mark.parametrize("batch_first, padding_side", [(False, "right"), (True, "left")])
def test_pad_sequence(device, batch_first, padding_side):
    pairs = [_pair(s, device) for s in [(2, 3), (4, 3), (1, 3)]]
    out = rnn.pad_sequence([a for a, _ in pairs], batch_first=batch_first, padding_value=7.0, padding_side=padding_side)
    ref = trnn.pad_sequence([b for _, b in pairs], batch_first=batch_first, padding_value=7.0,
                            padding_side=padding_side)
    _same(out, ref)
    w = np.random.randn(*ref.shape)
    (out * tt.tensor(w, device=device)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, b in pairs:
        _same(a.grad, b.grad)


def test_pad_sequence_casts_broadcasts_and_splits_a_tensor():
    seqs = [np.random.randn(2, 3).astype(np.float32), np.random.randn(3, 1), np.random.randn(1, 3)]
    _same(rnn.pad_sequence([tt.tensor(s) for s in seqs]), trnn.pad_sequence([torch.tensor(s) for s in seqs]))
    ints = [np.array([1, 2]), np.array([3])]
    _same(rnn.pad_sequence([tt.tensor(s) for s in ints], padding_value=1.5),
          trnn.pad_sequence([torch.tensor(s) for s in ints], padding_value=1.5))
    x = np.random.randn(3, 2)
    _same(rnn.pad_sequence(tt.tensor(x), batch_first=True), trnn.pad_sequence(torch.tensor(x), batch_first=True))


def test_pack_sequence_unsorted_and_unpad(device):
    pairs = [_pair(s, device) for s in [(2, 2), (3, 2), (1, 2)]]
    p = rnn.pack_sequence([a for a, _ in pairs], enforce_sorted=False)
    q = trnn.pack_sequence([b for _, b in pairs], enforce_sorted=False)
    _same_packed(p, q, device)
    w = np.random.randn(*q.data.shape)
    (p.data * tt.tensor(w, device=device)).sum().backward()
    (q.data * torch.tensor(w)).sum().backward()
    for a, b in pairs:
        _same(a.grad, b.grad)

    padded, ref = _pair((4, 3, 2), device)
    got = rnn.unpad_sequence(padded, tt.tensor([2, 4, 1]))
    # PyTorch transposes its input in place (refused on a leaf that requires grad); tritorch leaves it alone.
    want = trnn.unpad_sequence(ref * 1, torch.tensor([2, 4, 1]))
    assert padded.shape == (4, 3, 2)
    for u, v in zip(got, want, strict=True):
        _same(u, v)
    sum(((u * k).sum() for k, u in enumerate(got, 1)), tt.tensor(0.0, device=device)).backward()
    sum((v * k).sum() for k, v in enumerate(want, 1)).backward()
    _same(padded.grad, ref.grad)
    got_bf = rnn.unpad_sequence(padded.detach().transpose(0, 1), [2, 4, 1], batch_first=True)
    for u, v in zip(got_bf, want, strict=True):
        _same(u, v)


def test_invert_permutation_and_constructor():
    _same(rnn.invert_permutation(tt.tensor([2, 0, 3, 1])), trnn.invert_permutation(torch.tensor([2, 0, 3, 1])))
    assert rnn.invert_permutation(None) is None
    data, sizes = tt.tensor([1.0, 2.0, 3.0]), tt.tensor([2, 1])
    p = rnn.PackedSequence(data, sizes, tt.tensor([1, 0]))
    _same(p.unsorted_indices, torch.tensor([1, 0]))
    p = rnn.PackedSequence((data, sizes))
    assert p.data is data and p.batch_sizes is sizes and p.sorted_indices is None and p.unsorted_indices is None
    assert repr(p).startswith("PackedSequence(data=tensor([1., 2., 3.]), batch_sizes=tensor([2, 1]), sorted_indices=None")
    with pytest.raises(AssertionError, match="^Expected data to be a list or tuple of length 2$"):
        rnn.PackedSequence(data)


def test_moves_and_casts(device):
    p = rnn.pack_padded_sequence(tt.randn(3, 2, 2), [2, 3], enforce_sorted=False)
    assert p.to(tt.float32) is p and p.cpu() is p and not p.is_cuda and not p.is_pinned()
    d = p.double()
    assert d.data.dtype is tt.float64 and d.sorted_indices is p.sorted_indices
    assert p.long().data.dtype is tt.int64 and p.bfloat16().data.dtype is tt.bfloat16
    assert p.pin_memory() is p
    if device == "cuda":
        c = p.cuda()
        assert c.is_cuda and c.batch_sizes.device.type == "cpu"
        assert c.sorted_indices.is_cuda and c.unsorted_indices.is_cuda
        assert c.cuda() is c
        h = p.cuda(dtype=tt.float16)
        assert h.is_cuda and h.data.dtype is tt.float16
        back = c.to("cpu", tt.float64)
        assert back.data.dtype is tt.float64 and back.sorted_indices.device.type == "cpu"
        np.testing.assert_array_equal(_np(back.data), _np(p.data).astype(np.float64))
        with pytest.raises(ValueError, match="^batch_sizes should always be on CPU"):
            rnn.PackedSequence(c.data, c.batch_sizes.cuda())


def _errors_match(ours, theirs):
    with pytest.raises(Exception) as want:
        theirs()
    with pytest.raises(want.type) as got:
        ours()
    assert str(got.value) == str(want.value)


ERRORS = [
    lambda m, x: m.pack_padded_sequence(x(3, 2, 4), [3, 0]),
    lambda m, x: m.pack_padded_sequence(x(3, 2, 4), [-1, 3], enforce_sorted=False),
    lambda m, x: m.pack_padded_sequence(x(3, 2, 4), [2, 3]),
    lambda m, x: m.pack_padded_sequence(x(3, 2, 4), [3, 2, 1]),
    lambda m, x: m.pack_padded_sequence(x(3, 2), [[3, 2]]),
    lambda m, x: m.pack_padded_sequence(x(3), [3]),
    lambda m, x: m.pack_padded_sequence(x(0, 2, 4), [1, 1]),
    lambda m, x: m.pad_packed_sequence(m.pack_padded_sequence(x(3, 2), [3, 2]), total_length=2),
    lambda m, x: m.pad_sequence([]),
    lambda m, x: m.pad_sequence(3),
    lambda m, x: m.pad_sequence([x(2, 3), x(3, 4)]),
    lambda m, x: m.pad_sequence([x(2), x(3, 1)]),
    lambda m, x: m.pad_sequence([x(2, 3)], padding_side="middle"),
    lambda m, x: m.pack_sequence([x(2), x(3)]),
    lambda m, x: m.pack_sequence([x(2), x(0)]),
    lambda m, x: m.pack_sequence([x(2, 0), x(1, 0)]),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    fn = ERRORS[case]

    def ours():
        fn(rnn, lambda *s: tt.randn(*s))

    def theirs():
        fn(trnn, lambda *s: torch.randn(*s))

    _errors_match(ours, theirs)


def test_lengths_must_be_a_1d_cpu_int64_tensor(device):
    x = tt.randn(3, 2)
    with pytest.raises(RuntimeError, match=r"^'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu "
                                           r"Long tensor$"):
        rnn.pack_padded_sequence(x, tt.tensor([[3, 2]]))
    with pytest.raises(RuntimeError, match=r"^'lengths' argument should be a 1D CPU int64 tensor, but got 1D cpu "
                                           r"Int tensor$"):
        rnn.pad_packed_sequence(rnn.PackedSequence(tt.randn(3), tt.tensor([2, 1], dtype=tt.int32)))
    if device == "cuda":
        with pytest.raises(RuntimeError, match=r"^'lengths' argument should be a 1D CPU int64 tensor, but got 1D "
                                               r"cuda:0 Long tensor$"):
            rnn.pack_padded_sequence(x.cuda(), tt.tensor([3, 2], device="cuda"), enforce_sorted=False)


def test_lengths_longer_than_the_input_are_refused():
    # PyTorch 2.13 returns a malformed packing here (batch_sizes sum past the data); tritorch refuses.
    with pytest.raises(RuntimeError, match=r"^Expected all lengths to be at most the padded sequence length, but "
                                           r"got a length of 4 \(padded sequence length=3\)$"):
        rnn.pack_padded_sequence(tt.randn(3, 2), [4, 3])
