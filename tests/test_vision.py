"""tritorch.vision: transforms (hand-computed values, numpy's pad, torch's interpolate as the
oracle), dataset readers on small standard-format files written here, the bundled digits, and
ResNet / LeNet against reference models written with torch.nn (torchvision's layout)."""
import gzip
import math
import pathlib
import tomllib

import numpy as np
import pytest
import torch

import tritorch as tt
from tritorch.vision import datasets, models, transforms as T

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _img(shape, device="cpu", dtype=tt.float64):
    return tt.tensor(np.random.rand(*shape), dtype=dtype, device=device)


# --- converters ---------------------------------------------------------------------------------

def test_to_tensor_numpy():
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    t = T.ToTensor()(a)
    assert t.dtype == tt.float32 and tuple(t.shape) == (4, 2, 3)
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / 255, rtol=1e-6)
    g = T.to_tensor(a[:, :, 0])
    assert tuple(g.shape) == (1, 2, 3)
    f = np.random.rand(3, 2, 1)  # non-uint8 arrays keep dtype and values (torchvision)
    tf = T.to_tensor(f)
    assert tf.dtype == tt.float64 and tuple(tf.shape) == (1, 3, 2)
    np.testing.assert_array_equal(tf.numpy(), f.transpose(2, 0, 1))


def test_to_tensor_errors():
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.to_tensor(np.zeros((1, 2, 2, 3), np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        T.to_tensor([[1, 2]])
    with pytest.raises(TypeError, match="pic should be PIL Image. Got <class 'numpy.ndarray'>"):
        T.PILToTensor()(np.zeros((2, 2), np.uint8))


def test_pil_converters():
    Image = pytest.importorskip("PIL.Image")
    a = (np.arange(2 * 3 * 3) * 9 % 256).astype(np.uint8).reshape(2, 3, 3)
    pic = Image.fromarray(a, mode="RGB")
    np.testing.assert_array_equal(T.PILToTensor()(pic).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_allclose(T.ToTensor()(pic).numpy(), a.transpose(2, 0, 1) / 255, rtol=1e-6)


# --- normalize ----------------------------------------------------------------------------------

def test_normalize(device):
    x = _img((2, 3, 4, 5), device)
    mean, std = (0.5, 0.25, 0.1), (0.2, 0.5, 2.0)
    out = T.Normalize(mean, std)(x)
    ref = (x.cpu().numpy() - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(out.cpu().numpy(), ref, rtol=1e-12)
    assert not np.allclose(x.cpu().numpy(), ref)  # not in place
    y = x.clone()
    r = T.Normalize(mean, std, inplace=True)(y)
    assert r is y
    np.testing.assert_allclose(y.cpu().numpy(), ref, rtol=1e-12)
    assert repr(T.Normalize(mean, std)) == "Normalize(mean=(0.5, 0.25, 0.1), std=(0.2, 0.5, 2.0))"


def test_normalize_errors():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got tritorch.uint8."):
        T.normalize(tt.zeros(3, 2, 2, dtype=tt.uint8), [0.0], [1.0])
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to tritorch.float32"):
        T.normalize(tt.zeros(3, 2, 2), [0.0] * 3, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        T.normalize(tt.zeros(2, 2), [0.0], [1.0])
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.normalize(np.zeros((3, 2, 2)), [0.0], [1.0])


# --- resize -------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(3, 5), (13, 4), (9, 16)])
def test_resize_against_torch_interpolate(mode, antialias, size):
    x = np.random.rand(2, 3, 7, 9)
    ref = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=False,
                                          antialias=antialias).numpy()
    out = T.Resize(list(size), interpolation=mode, antialias=antialias)(tt.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_resize_device_and_nearest(device):
    x = np.random.rand(1, 2, 6, 8)
    out = T.resize(tt.tensor(x, device=device), [3, 3])  # antialiased bilinear (the default)
    ref = torch.nn.functional.interpolate(torch.tensor(x), size=(3, 3), mode="bilinear", antialias=True).numpy()
    np.testing.assert_allclose(out.cpu().numpy(), ref, rtol=1e-10, atol=1e-12)
    n = T.resize(tt.tensor(x[0], device=device), [3, 4], T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(n.cpu().numpy(), x[0][:, ::2, ::2])


def test_resize_sizes():
    x = tt.zeros(3, 10, 20)
    assert tuple(T.Resize(5)(x).shape) == (3, 5, 10)  # smaller edge -> 5, aspect kept
    assert tuple(T.Resize([5])(tt.zeros(3, 21, 7)).shape) == (3, 15, 5)  # int(5 * 21 / 7)
    assert tuple(T.Resize(5, max_size=8)(x).shape) == (3, 4, 8)  # longer edge capped: int(8 * 5 / 10)
    assert tuple(T.Resize((4, 6))(tt.zeros(2, 1, 3, 3)).shape) == (2, 1, 4, 6)
    assert T.Resize((10, 20))(x) is x  # same size: the input itself
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="max_size = 5 must be strictly greater"):
        T.Resize(5, max_size=5)(x)
    assert repr(T.Resize(5)) == "Resize(size=5, interpolation=bilinear, max_size=None, antialias=True)"


def test_resize_uint8_rounds():
    a = np.array([[[0, 255, 10, 101]]], dtype=np.uint8)
    out = T.resize(tt.tensor(a), [1, 2])
    assert out.dtype == tt.uint8
    # antialiased 2:1 bilinear = the 4-tap triangle filter [1, 3, 3, 1] / 8 clipped at the border
    ref = [round((0 * 3 + 255 * 3 + 10) / 7), round((255 + 10 * 3 + 101 * 3) / 7)]
    np.testing.assert_array_equal(out.numpy()[0, 0], ref)


# --- pad and crops ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes_against_numpy(device, mode):
    a = np.arange(2 * 3 * 4, dtype=np.float64).reshape(1, 2, 3, 4)
    out = T.pad(tt.tensor(a, device=device), [1, 2, 3, 2], fill=0, padding_mode=mode)  # l, t, r, b
    ref = np.pad(a, ((0, 0), (0, 0), (2, 2), (1, 3)), mode=mode)
    np.testing.assert_array_equal(out.cpu().numpy(), ref)


def test_pad_fill_negative_and_errors():
    a = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.pad(tt.tensor(a), 1, fill=7).numpy(),
                                  np.pad(a, ((0, 0), (1, 1), (1, 1)), constant_values=7))
    np.testing.assert_array_equal(T.pad(tt.tensor(a), [-1, 0], padding_mode="edge").numpy(), a[:, :, 1:3])
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3"):
        T.pad(tt.tensor(a), [1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.pad(tt.tensor(a), 1, padding_mode="wrap")


def test_center_crop(device):
    a = np.arange(5 * 6, dtype=np.float32).reshape(1, 5, 6)
    x = tt.tensor(a, device=device)
    np.testing.assert_array_equal(T.CenterCrop(3)(x).cpu().numpy(), a[:, 1:4, 2:5])  # round(1.0), round(1.5)=2
    np.testing.assert_array_equal(T.CenterCrop((2, 4))(x).cpu().numpy(), a[:, 2:4, 1:5])  # round(1.5)=2, round(1)
    big = T.CenterCrop((7, 9))(x).cpu().numpy()  # zero-padded: top 1, bottom 1, left 1, right 2
    np.testing.assert_array_equal(big, np.pad(a, ((0, 0), (1, 1), (1, 2))))
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"


def test_crop_outside_is_zero():
    a = np.arange(9, dtype=np.float32).reshape(1, 3, 3)
    out = T.crop(tt.tensor(a), -1, 1, 3, 3).numpy()
    np.testing.assert_array_equal(out, [[[0, 0, 0], [1, 2, 0], [4, 5, 0]]])


def test_random_crop(device):
    a = np.arange(2 * 1 * 5 * 6, dtype=np.float64).reshape(2, 1, 5, 6)
    x = tt.tensor(a, device=device)
    padded = np.pad(a, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="reflect")
    crop = T.RandomCrop(4, padding=2, padding_mode="reflect")
    tt.manual_seed(3)
    out = crop(x).cpu().numpy()
    tt.manual_seed(3)
    again = crop(x).cpu().numpy()
    np.testing.assert_array_equal(out, again)
    tt.manual_seed(3)
    i, j = divmod(tt.randint(0, (9 - 4 + 1) * (10 - 4 + 1), size=(1,)).item(), 10 - 4 + 1)  # one draw for both
    np.testing.assert_array_equal(out, padded[..., i:i + 4, j:j + 4])  # one window for the whole batch
    seen = set()
    for _ in range(30):
        i, j, h, w = T.RandomCrop.get_params(x, (2, 3))
        assert 0 <= i <= 3 and 0 <= j <= 3 and (h, w) == (2, 3)
        seen.add((i, j))
    assert len(seen) > 5
    assert T.RandomCrop.get_params(x, (5, 6)) == (0, 0, 5, 6)
    with pytest.raises(ValueError, match=r"Required crop size \(6, 6\) is larger than input image size \(5, 6\)"):
        T.RandomCrop(6)(x)
    assert repr(T.RandomCrop(4, padding=2)) == "RandomCrop(size=(4, 4), padding=2)"


def test_random_crop_pad_if_needed():
    a = np.ones((1, 3, 6), np.float32)
    tt.manual_seed(0)
    out = T.RandomCrop((5, 6), pad_if_needed=True, fill=-1)(tt.tensor(a)).numpy()
    # height 3 < 5: two rows padded on top AND bottom (torchvision's [0, 2]), then a 5-row crop of 7
    assert out.shape == (1, 5, 6)
    assert (out == 1).sum() == 3 * 6 and (out == -1).sum() == 2 * 6


def test_random_horizontal_flip(device):
    a = np.random.rand(2, 3, 4)
    x = tt.tensor(a, device=device)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).cpu().numpy(), a[..., ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    tt.manual_seed(1)
    draws = [tt.rand(1).item() < 0.5 for _ in range(20)]
    tt.manual_seed(1)
    flip = T.RandomHorizontalFlip()
    got = [not np.array_equal(flip(x).cpu().numpy(), a) for _ in range(20)]
    assert got == draws and 0 < sum(got) < 20
    assert repr(flip) == "RandomHorizontalFlip(p=0.5)"


# --- random resized crop ------------------------------------------------------------------------

def test_random_resized_crop_params():
    x = tt.zeros(3, 40, 60)
    scale, ratio = (0.08, 1.0), (3 / 4, 4 / 3)
    tt.manual_seed(0)
    params = [T.RandomResizedCrop.get_params(x, scale, ratio) for _ in range(200)]
    for i, j, h, w in params:
        assert 0 < h <= 40 and 0 < w <= 60 and 0 <= i <= 40 - h and 0 <= j <= 60 - w
        # sampled from [0.08, 1] x area and [3/4, 4/3] aspect, up to rounding of h and w
        assert 0.08 * 2400 * 0.8 < h * w < 2400 * 1.01
        assert 3 / 4 * 0.8 < w / h < 4 / 3 * 1.25
    assert len(set(params)) > 150
    tt.manual_seed(0)
    assert [T.RandomResizedCrop.get_params(x, scale, ratio) for _ in range(200)] == params


def test_random_resized_crop_fallback():
    # no 0.9-1.0-area square fits a 10x100 image: the central crop clamped to ratio 1
    assert T.RandomResizedCrop.get_params(tt.zeros(1, 10, 100), (0.9, 1.0), (1.0, 1.0)) == (0, 45, 10, 10)
    assert T.RandomResizedCrop.get_params(tt.zeros(1, 100, 10), (0.9, 1.0), (1.0, 1.0)) == (45, 0, 10, 10)


def test_random_resized_crop_forward(device):
    a = np.random.rand(2, 3, 12, 16)
    x = tt.tensor(a, device=device)
    t = T.RandomResizedCrop(5, interpolation=T.InterpolationMode.BILINEAR)
    tt.manual_seed(7)
    out = t(x)
    tt.manual_seed(7)
    i, j, h, w = T.RandomResizedCrop.get_params(x, t.scale, t.ratio)
    ref = torch.nn.functional.interpolate(torch.tensor(a[..., i:i + h, j:j + w]), size=(5, 5), mode="bilinear",
                                          antialias=True).numpy()
    assert tuple(out.shape) == (2, 3, 5, 5)
    np.testing.assert_allclose(out.cpu().numpy(), ref, rtol=1e-10, atol=1e-12)
    assert repr(t) == ("RandomResizedCrop(size=(5, 5), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
                       "interpolation=bilinear, antialias=True)")


def test_compose_pipeline():
    a = (np.arange(4 * 6 * 3) % 256).astype(np.uint8).reshape(4, 6, 3)
    pipe = T.Compose([T.ToTensor(), T.CenterCrop((2, 4)), T.Normalize((0.5,) * 3, (0.5,) * 3)])
    out = pipe(a).numpy()
    ref = (a.transpose(2, 0, 1)[:, 1:3, 1:5] / 255 - 0.5) / 0.5
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)
    assert repr(pipe).startswith("Compose(\n    ToTensor()\n    CenterCrop(size=(2, 4))\n")


def test_against_torchvision_if_installed():
    tv = pytest.importorskip("torchvision.transforms")
    a = np.random.rand(3, 11, 13).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (1.0, 2.0, 3.0)
    for ours, theirs in [(T.Resize(6), tv.Resize(6)), (T.CenterCrop((5, 15)), tv.CenterCrop((5, 15))),
                         (T.Normalize(mean, std), tv.Normalize(mean, std))]:
        np.testing.assert_allclose(ours(tt.tensor(a)).numpy(), theirs(torch.tensor(a)).numpy(), rtol=1e-5, atol=1e-6)


def test_transforms_reject_non_tensors():
    with pytest.raises(TypeError, match="img should be Tensor. Got <class 'numpy.ndarray'>"):
        T.CenterCrop(2)(np.zeros((1, 3, 3)))


# --- dataset readers ----------------------------------------------------------------------------

def _idx(arr):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    head = bytes([0, 0, codes[arr.dtype], arr.ndim]) + np.array(arr.shape, ">i4").tobytes()
    return head + arr.tobytes()


def _write_mnist(root, name, n_train=5, n_test=3, compress=False):
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            path = raw / f"{prefix}-{kind}-ubyte"
            if compress:
                path.with_name(path.name + ".gz").write_bytes(gzip.compress(_idx(arr)))
            else:
                path.write_bytes(_idx(arr))
        out[prefix] = (images, labels)
    return out


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST])
def test_mnist_idx(tmp_path, cls, compress):
    ref = _write_mnist(tmp_path, cls.__name__, compress=compress)
    train = cls(tmp_path, train=True)
    test = cls(str(tmp_path), train=False, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    assert len(train) == 5 and len(test) == 3
    assert train.data.dtype == tt.uint8 and tuple(train.data.shape) == (5, 28, 28)
    assert train.targets.dtype == tt.int64
    np.testing.assert_array_equal(train.data.numpy(), ref["train"][0])
    np.testing.assert_array_equal(train.targets.numpy(), ref["train"][1])
    img, target = train[2]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    np.testing.assert_array_equal(img, ref["train"][0][2])
    assert target == int(ref["train"][1][2]) and type(target) is int
    img, target = test[1]
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == tt.float32
    np.testing.assert_allclose(img.numpy()[0], ref["t10k"][0][1] / 255, rtol=1e-6)
    assert target == int(ref["t10k"][1][1]) + 100
    assert repr(train).splitlines()[:3] == [f"Dataset {cls.__name__}", "    Number of datapoints: 5",
                                            f"    Root location: {tmp_path}"]
    assert len(train.classes) == 10 and train.class_to_idx[train.classes[3]] == 3


def test_mnist_errors(tmp_path):
    with pytest.raises(RuntimeError, match="download=True is not supported"):
        datasets.MNIST(tmp_path, download=True)
    with pytest.raises(RuntimeError, match=r"dataset not found: .*train-images-idx3-ubyte\(.gz\) is missing"):
        datasets.MNIST(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + np.array([2, 2, 2], ">i4").tobytes() + b"1")
    (raw / "train-labels-idx1-ubyte").write_bytes(_idx(np.zeros(2, np.uint8)))
    with pytest.raises(RuntimeError, match=r"IDX header says shape \(2, 2, 2\)"):
        datasets.MNIST(tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes(b"PK\x03\x04")
    with pytest.raises(RuntimeError, match="not an IDX file"):
        datasets.MNIST(tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes(_idx(np.zeros((3, 2, 2), np.uint8)))
    with pytest.raises(RuntimeError, match=r"expected uint8 \(3,\) to match the images"):
        datasets.MNIST(tmp_path)


def test_read_idx_wider_types(tmp_path):
    from tritorch.vision.datasets.mnist import read_idx
    a = np.arange(-3, 3, dtype=">i4").reshape(2, 3)
    (tmp_path / "x").write_bytes(_idx(a))
    np.testing.assert_array_equal(read_idx(tmp_path / "x"), a)


def _write_cifar(root, n=2):
    folder = root / "cifar-10-batches-bin"
    folder.mkdir()
    rng = np.random.default_rng(1)
    out = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        planes = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)  # R, G, B planes
        (folder / name).write_bytes(np.concatenate([labels[:, None], planes.reshape(n, -1)], axis=1).tobytes())
        out[name] = (planes, labels)
    return out


def test_cifar10_binary(tmp_path):
    ref = _write_cifar(tmp_path)
    train = datasets.CIFAR10(tmp_path, train=True)
    test = datasets.CIFAR10(tmp_path, train=False, transform=T.ToTensor())
    assert len(train) == 10 and len(test) == 2
    assert train.data.shape == (10, 32, 32, 3) and train.data.dtype == np.uint8
    planes3, labels3 = ref["data_batch_3.bin"]
    np.testing.assert_array_equal(train.data[5], planes3[1].transpose(1, 2, 0))  # HWC, channels R, G, B
    assert train.targets[4:6] == labels3.tolist()
    img, target = test[1]
    assert tuple(img.shape) == (3, 32, 32) and target == int(ref["test_batch.bin"][1][1])
    np.testing.assert_allclose(img.numpy(), ref["test_batch.bin"][0][1] / 255, rtol=1e-6)
    assert train.classes[0] == "airplane" and train.class_to_idx["truck"] == 9


def test_cifar10_errors(tmp_path):
    with pytest.raises(RuntimeError, match="download=True is not supported"):
        datasets.CIFAR10(tmp_path, download=True)
    with pytest.raises(RuntimeError, match="dataset not found: .*test_batch.bin is missing"):
        datasets.CIFAR10(tmp_path, train=False)
    (tmp_path / "cifar-10-batches-bin").mkdir()
    (tmp_path / "cifar-10-batches-bin" / "test_batch.bin").write_bytes(b"\x01" * 3000)
    with pytest.raises(RuntimeError, match="not a whole number of 3073-byte CIFAR-10 records"):
        datasets.CIFAR10(tmp_path, train=False)


# --- the bundled digits -------------------------------------------------------------------------

def test_digits():
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    labels = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    np.testing.assert_array_equal(np.bincount(test.targets.numpy()), [35, 36, 35, 37, 37, 37, 37, 36, 33, 37])
    raw = np.concatenate([train.data.numpy(), test.data.numpy()])
    assert raw.shape == (1797, 8, 8) and raw.dtype == np.uint8 and raw.max() == 16 and raw.sum() == 561718
    img, target = train[0]
    assert tuple(img.shape) == (1, 8, 8) and img.dtype == tt.float32 and target == 0
    np.testing.assert_allclose(img.numpy()[0, 0], np.array([0, 0, 5, 13, 9, 1, 0, 0]) / 16)
    img, target = test[359]
    np.testing.assert_allclose(img.numpy()[0], test.data.numpy()[359] / 16)
    d = datasets.Digits(train=False, transform=T.Normalize((0.5,), (0.5,)), target_transform=str)
    img, target = d[0]
    np.testing.assert_allclose(img.numpy()[0], test.data.numpy()[0] / 8 - 1, atol=1e-6)
    assert target == str(int(test.targets[0].item()))
    assert "Split: Test" in repr(d) and "Transform: Normalize" in repr(d)


def test_digits_package_data():
    data = ROOT / "tritorch" / "vision" / "datasets" / "data"
    assert (data / "digits.csv.gz").stat().st_size < 64_000
    assert "CC BY 4.0" in (data / "DIGITS_LICENSE").read_text()
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert cfg["package-data"]["tritorch.vision.datasets"] == ["data/*"]


# --- models: reference torchvision layout with torch.nn -----------------------------------------

class _RefBasic(torch.nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class _RefBottleneck(torch.nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.conv3 = torch.nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = torch.nn.BatchNorm2d(planes * 4)
        self.relu = torch.nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class _RefResNet(torch.nn.Module):
    """torchvision.models.resnet.ResNet (groups=1, no dilation), written from its documented layout."""

    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = torch.nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(64)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        for k, (planes, stride) in enumerate(zip((64, 128, 256, 512), (1, 2, 2, 2))):
            setattr(self, f"layer{k + 1}", self._make_layer(block, planes, layers[k], stride))
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = torch.nn.Sequential(
                torch.nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                torch.nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return torch.nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


_REF = {"resnet18": (_RefBasic, [2, 2, 2, 2]), "resnet34": (_RefBasic, [3, 4, 6, 3]),
        "resnet50": (_RefBottleneck, [3, 4, 6, 3])}


def _reference(name, num_classes):
    torch.manual_seed(0)
    ref = _RefResNet(*_REF[name], num_classes=num_classes).double()
    with torch.no_grad():  # non-trivial BN statistics and affine parameters for eval mode
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return ref


def _copy(ref, model):
    """``model`` in float64 (first: loading copies into the existing parameters' dtype) with
    ``ref``'s state dict."""
    model.to(dtype=tt.float64)
    model.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return model


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_resnet_state_dict_layout(name):
    ref = _reference(name, 10)
    model = getattr(models, name)(num_classes=10)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert list(ours) == list(theirs) and ours == theirs
    assert "layer2.0.downsample.1.running_var" in ours and ours["fc.weight"] == (10, 512 * _REF[name][0].expansion)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_resnet_forward_matches_reference_cpu(name):
    ref = _reference(name, 7).eval()
    model = _copy(ref, getattr(models, name)(num_classes=7)).eval()
    x = np.random.rand(1, 3, 32, 32)
    with torch.no_grad():
        want = ref(torch.tensor(x)).numpy()
    with tt.no_grad():
        got = model(tt.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_resnet18_forward(device):
    """Both devices (cuda is Triton's interpreter here, so 16x16): resnet18 in eval mode."""
    ref = _reference("resnet18", 5).eval()
    model = _copy(ref, models.resnet18(num_classes=5)).to(device=device).eval()
    x = np.random.rand(1, 3, 16, 16)
    with torch.no_grad():
        want = ref(torch.tensor(x)).numpy()
    with tt.no_grad():
        got = model(tt.tensor(x, device=device)).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_resnet18_train_step_gradients():
    ref = _reference("resnet18", 3).train()
    model = _copy(ref, models.resnet18(num_classes=3)).train()
    x = np.random.rand(2, 3, 32, 32)
    target = [0, 2]
    loss_ref = torch.nn.functional.cross_entropy(ref(torch.tensor(x)), torch.tensor(target))
    loss_ref.backward()
    loss = tt.nn.functional.cross_entropy(model(tt.tensor(x)), tt.tensor(target))
    loss.backward()
    np.testing.assert_allclose(loss.item(), loss_ref.item(), rtol=1e-9)
    grads = dict(ref.named_parameters())
    for k, p in model.named_parameters():
        want = grads[k].grad.numpy()  # train-mode BN backward cancels: tolerance relative to the largest entry
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-7, atol=1e-10 * np.abs(want).max(), err_msg=k)
    np.testing.assert_allclose(model.bn1.running_mean.numpy(), ref.bn1.running_mean.numpy(), rtol=1e-9)


def test_resnet_init_and_options():
    tt.manual_seed(0)
    m = models.resnet18()
    assert tuple(m.fc.weight.shape) == (1000, 512)
    w = m.layer3[0].conv1.weight.detach().numpy()  # kaiming_normal_(fan_out, relu): std sqrt(2 / (256 * 9))
    assert abs(w.std() / math.sqrt(2 / (256 * 9)) - 1) < 0.05 and abs(w.mean()) < 0.002
    assert (m.bn1.weight.detach().numpy() == 1).all() and (m.layer4[1].bn2.bias.detach().numpy() == 0).all()
    z = models.resnet18(zero_init_residual=True, num_classes=4)
    assert all((b.bn2.weight.detach().numpy() == 0).all() for layer in (z.layer1, z.layer4) for b in layer)
    assert (z.layer1[0].bn1.weight.detach().numpy() == 1).all()
    z50 = models.resnet50(zero_init_residual=True, num_classes=4)
    assert (z50.layer2[1].bn3.weight.detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="pretrained weights are not available"):
        models.resnet50(weights="IMAGENET1K_V2")


def test_lenet(device):
    class RefLeNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
            self.pool1 = torch.nn.MaxPool2d(2)
            self.conv2 = torch.nn.Conv2d(6, 16, 5)
            self.pool2 = torch.nn.MaxPool2d(2)
            self.fc1 = torch.nn.Linear(400, 120)
            self.fc2 = torch.nn.Linear(120, 84)
            self.fc3 = torch.nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool1(torch.relu(self.conv1(x)))
            x = torch.flatten(self.pool2(torch.relu(self.conv2(x))), 1)
            return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))

    ref = RefLeNet().double()
    model = _copy(ref, models.LeNet()).to(device=device)
    x = np.random.rand(2, 1, 28, 28)
    with tt.no_grad():
        got = model(tt.tensor(x, device=device)).cpu().numpy()
    np.testing.assert_allclose(got, ref(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-10)
