"""Bad input: every error class raises PyTorch's exception type with a message that says
what went wrong (the op, the offending shapes / dtypes / indices)."""
import pytest

import tritorch as tt
from tests.conftest import DEVICES


@pytest.fixture(autouse=True, params=DEVICES)
def on_device(request):
    """Every error test runs with each device as the default, so cpu and cuda must fail alike."""
    tt.set_default_device(request.param)
    yield request.param
    tt.set_default_device("cpu")

_HAS_GETITEM = hasattr(tt.Tensor, "__getitem__")
needs_getitem = pytest.mark.skipif(not _HAS_GETITEM, reason="Tensor.__getitem__ not available yet")


# ---- shapes ------------------------------------------------------------------------------------
def test_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4, 3\]"):
        tt.ones(2, 3) + tt.ones(4, 3)


def test_non_broadcastable_operands():
    with pytest.raises(RuntimeError, match=r"must match the size of tensor b \(4\).*non-singleton dimension 1"):
        tt.ones(2, 3) * tt.ones(2, 4)
    with pytest.raises(RuntimeError, match="broadcast"):
        tt.broadcast_tensors(tt.ones(3), tt.ones(2))


def test_invalid_view():
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        tt.zeros(2, 3).t().view(6)


def test_invalid_reshape_size():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        tt.zeros(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        tt.zeros(6).view(-1, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[-1, 4\]' is invalid for input of size 6"):
        tt.zeros(6).view(-1, 4)


def test_invalid_expand():
    with pytest.raises(RuntimeError, match=r"expanded size of the tensor \(4\) must match the existing size \(3\)"):
        tt.zeros(3, 1).expand(4, 2)


def test_permute_wrong_number_of_dims():
    with pytest.raises(RuntimeError, match="input.dim\\(\\) = 2 is not equal to len\\(dims\\) = 3"):
        tt.zeros(2, 3).permute(0, 1, 2)


def test_split_sizes_must_sum():
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 5"):
        tt.zeros(5).split([2, 2])


def test_as_strided_out_of_storage():
    with pytest.raises(RuntimeError, match="as_strided.*require a storage of 13 elements but it holds 12"):
        tt.zeros(12).as_strided((4, 3), (3, 1), 1)


# ---- dtypes ------------------------------------------------------------------------------------
def test_mean_of_integer_tensor():
    with pytest.raises(RuntimeError, match="mean\\(\\).*Long"):
        tt.ones(3, dtype=tt.int64).mean()


def test_bitwise_op_on_floats():
    with pytest.raises(RuntimeError, match="bitwise_and.*not implemented for '(Float|float32)'"):
        tt.ones(3) & tt.ones(3)
    with pytest.raises(RuntimeError, match="bitwise_not.*(Float|float32)"):
        ~tt.ones(3)


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype can require gradients"):
        tt.ones(3, dtype=tt.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        tt.ones(3, dtype=tt.int32, requires_grad=True)


# ---- indices and dims --------------------------------------------------------------------------
def test_select_index_out_of_range():
    with pytest.raises(IndexError,
                       match=r"select\(\): index 5 out of range for tensor of size \[3, 4\] at dimension 0"):
        tt.zeros(3, 4).select(0, 5)
    with pytest.raises(IndexError, match="index -5 out of range"):
        tt.zeros(3, 4).select(1, -5)


def test_narrow_out_of_range():
    with pytest.raises(IndexError, match=r"narrow\(\): start \(7\) is out of bounds for dimension 0 of size 3"):
        tt.zeros(3).narrow(0, 7, 1)
    with pytest.raises(RuntimeError, match=r"start \(1\) \+ length \(3\) exceeds dimension size \(3\)"):
        tt.zeros(3).narrow(0, 1, 3)


@needs_getitem
def test_getitem_index_out_of_range():
    with pytest.raises(IndexError, match="5"):
        tt.zeros(3)[5]
    with pytest.raises(IndexError, match="5"):
        tt.zeros(2, 3)[:, 5]


def test_dimension_out_of_range():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tt.zeros(2, 3).sum(2)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got -3\)"):
        tt.zeros(2, 3).transpose(-3, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tt.zeros(2).unsqueeze(3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tt.zeros(2, 3).size(5)


def test_select_on_0d():
    with pytest.raises(IndexError, match="select\\(\\) cannot be applied to a 0-dim tensor"):
        tt.tensor(1.0).select(0, 0)


# ---- autograd ----------------------------------------------------------------------------------
def test_backward_through_freed_graph():
    x = tt.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_backward_on_tensor_without_grad_fn():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        tt.ones(2).sum().backward()


def test_inplace_on_leaf_requiring_grad():
    x = tt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError,
                       match="a leaf Variable that requires grad is being used in an in-place operation"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.unsqueeze_(0)
    with tt.no_grad():
        x.add_(1)  # allowed without grad recording
    assert x.tolist() == [2.0, 2.0]


def test_saved_tensor_modified_inplace():
    x = tt.ones(3, requires_grad=True)
    h = x * 2
    y = h * h  # saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*is at version 1; expected version 0"):
        y.sum().backward()


def test_saved_tensor_modified_through_a_view():
    x = tt.ones(3, requires_grad=True)
    h = x.exp()  # saves its output
    with tt.no_grad():
        h.view(3).mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()


def test_non_scalar_backward_without_gradient():
    x = tt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_gradient_shape_mismatch():
    x = tt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(tt.ones(3))


def test_autograd_grad_input_not_requiring_grad():
    x = tt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        tt.autograd.grad((x * 2).sum(), tt.ones(2))


def test_requires_grad_false_on_non_leaf():
    y = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_retain_grad_without_requires_grad():
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        tt.ones(2).retain_grad()


# ---- types -------------------------------------------------------------------------------------
def test_wrong_argument_types():
    with pytest.raises(TypeError, match="must be tuple of ints"):
        tt.zeros(4).view("a")
    with pytest.raises(TypeError, match="Tensor or Number"):
        tt.ones(2) + "x"
