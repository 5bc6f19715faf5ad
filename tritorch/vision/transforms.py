"""`tritorch.vision.transforms` (torchvision's `transforms`, the v1 API): image transforms on
tensors of shape (..., C, H, W) -- a single image (C, H, W), or a batch (N, C, H, W) or more
leading dims -- plus the two converters from PIL images / HxWxC numpy arrays to tensors.

Random transforms draw from tritorch's global generator (``tritorch.rand`` / ``randint``) in
the same order and with the same calls as torchvision draws from torch's, so
``tritorch.manual_seed(s)`` makes a pipeline reproducible (the numbers differ from torch's:
the generators differ).  A batch gets ONE draw: every image of a batch is cropped / flipped the
same way, as in torchvision.

The torchvision functional forms (``torchvision.transforms.functional``) are the module-level
lower-case functions here: `to_tensor`, `pil_to_tensor`, `normalize`, `resize`, `pad`, `crop`,
`center_crop`, `resized_crop`, `hflip`.

Where tritorch differs: every transform except the converters takes tensors only (no PIL image
input); integer images are resized in float32 and rounded back (torchvision's uint8 fast path
rounds its fixed-point weights differently, so results may differ by 1).
"""
import math
import numbers
import sys
import warnings
from collections.abc import Sequence
from enum import Enum

import numpy as np

from .. import Tensor, as_tensor, empty, exp, from_numpy, get_default_dtype, log, matmul, rand, randint, tensor
from .. import float32, uint8
from ..nn import Module
from ..nn import functional as F

__all__ = ["InterpolationMode", "Compose", "ToTensor", "PILToTensor", "Normalize", "Resize", "CenterCrop",
           "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop",
           "to_tensor", "pil_to_tensor", "normalize", "resize", "pad", "crop", "center_crop", "resized_crop",
           "hflip", "get_dimensions"]


class InterpolationMode(Enum):
    """Interpolation modes (torchvision's names); the value is `interpolate`'s ``mode``."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _interpolation(mode):
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str):
        try:
            return InterpolationMode(mode)
        except ValueError:
            pass
    raise TypeError(f"Argument interpolation should be a InterpolationMode or a corresponding Pillow integer constant "
                    f"or one of {[m.value for m in InterpolationMode]}, got {mode!r}")


# --- checks and sizes ---------------------------------------------------------------------------

def _assert_tensor_image(img):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    """[channels, height, width] of a (..., C, H, W) or (H, W) tensor image."""
    _assert_tensor_image(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


# --- converters ---------------------------------------------------------------------------------

def _is_pil_image(pic):
    # A PIL image exists only once PIL.Image was imported, so Pillow is never imported here.
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(pic, pil.Image)


def _pil_array(pic, dtype=None):
    """An (H, W, C) array of a PIL image (torchvision's dtype per mode: I -> int32, I;16 -> int16,
    F -> float32, other modes uint8; mode "1" scaled to 0/255)."""
    if dtype is None:
        a = np.array(pic, copy=True)
    else:
        a = np.array(pic, dtype, copy=True)
    if pic.mode == "1":
        a = a.astype(np.uint8) * 255
    return a.reshape(pic.size[1], pic.size[0], len(pic.getbands()))


def to_tensor(pic):
    """A PIL image or an (H, W, C) / (H, W) numpy array as a (C, H, W) tensor.  uint8 data is
    scaled to float [0, 1] in the default dtype; other dtypes keep their values and dtype."""
    if _is_pil_image(pic):
        nptype = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16, "F": np.float32}
        a = _pil_array(pic, nptype.get(pic.mode, np.uint8))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    img = from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))
    if img.dtype == uint8:
        return img.to(get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic):
    """A PIL image as a (C, H, W) tensor of its own dtype (no scaling)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    return from_numpy(np.ascontiguousarray(_pil_array(pic).transpose(2, 0, 1)))


class Compose:
    """Applies ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class ToTensor:
    """PIL image or (H, W, C) numpy array -> (C, H, W) tensor, uint8 scaled to float [0, 1]
    (see `to_tensor`)."""

    def __call__(self, pic):
        return to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image -> (C, H, W) tensor, values and dtype kept (needs Pillow for its input only)."""

    def __call__(self, pic):
        return pil_to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


# --- normalize ----------------------------------------------------------------------------------

def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean[c]) / std[c]`` per channel of a float (..., C, H, W) tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_tensor_image(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = as_tensor(mean, dtype=dtype, device=tensor.device)
    std = as_tensor(std, dtype=dtype, device=tensor.device)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


class Normalize(Module):
    """Normalizes a float tensor image per channel: ``out[c] = (in[c] - mean[c]) / std[c]``.
    Input: (..., C, H, W) float.  Output: same shape (a new tensor unless ``inplace``)."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        # mean and std as (C, 1, 1) tensors, converted and checked once per dtype and device (the
        # per-image conversions cost more than the arithmetic on small images).
        if not (isinstance(tensor, Tensor) and tensor.is_floating_point() and tensor.ndim >= 3):
            return normalize(tensor, self.mean, self.std, self.inplace)
        key = (tensor.dtype, tensor.device)
        cache = self.__dict__.setdefault("_stats", {})
        stats = cache.get(key)
        if stats is None:
            mean = as_tensor(self.mean, dtype=tensor.dtype, device=tensor.device)
            std = as_tensor(self.std, dtype=tensor.dtype, device=tensor.device)
            if bool((std == 0).any()):
                raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by "
                                 f"zero.")
            stats = cache[key] = (mean.view(-1, 1, 1) if mean.ndim == 1 else mean,
                                  std.view(-1, 1, 1) if std.ndim == 1 else std)
        mean, std = stats
        return (tensor if self.inplace else tensor.clone()).sub_(mean).div_(std)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


# --- resize -------------------------------------------------------------------------------------

def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    requested_new_short = size if isinstance(size, int) else size[0]
    new_short, new_long = requested_new_short, int(requested_new_short * long / short)
    if max_size is not None:
        if max_size <= requested_new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                             f"smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return [new_h, new_w]


def _aa_filter(mode):
    if mode == InterpolationMode.BILINEAR:
        return 2, lambda x: np.maximum(1.0 - np.abs(x), 0.0)

    def cubic(x, a=-0.5):  # Keys' kernel with a = -0.5 (PyTorch's and PIL's antialiasing choice)
        x = np.abs(x)
        inner = ((a + 2) * x - (a + 3)) * x * x + 1
        outer = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x < 1.0, inner, np.where(x < 2.0, outer, 0.0))
    return 4, cubic


def _aa_weights(in_size, out_size, mode):
    """The (out_size, in_size) matrix of PyTorch's antialiased interpolation weights
    (``_upsample_bilinear2d_aa`` / ``_upsample_bicubic2d_aa``, align_corners=False): output
    pixel i is centred at ``scale * (i + 0.5)`` of the input, the filter is stretched by ``scale``
    when downsampling (a box of ``support`` pixels each side), and each row is normalised."""
    interp_size, filt = _aa_filter(mode)
    scale = in_size / out_size
    support = interp_size * 0.5 * scale if scale >= 1.0 else interp_size * 0.5
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(out_size) + 0.5)[:, None]
    # np.trunc: PyTorch's int64 cast truncates toward zero
    xmin = np.maximum(np.trunc(center - support + 0.5), 0)
    xmax = np.minimum(np.trunc(center + support + 0.5), in_size)
    j = np.arange(in_size)[None, :]
    w = np.where((j >= xmin) & (j < xmax), filt((j - center + 0.5) * invscale), 0.0)
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=w, where=total != 0.0)


def _resize_to(img, size, mode, antialias):
    """(..., C, H, W) tensor resized to ``size`` = [h, w] (no size logic, no dtype logic)."""
    if antialias and mode in (InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
        # Separable filters as two small matmuls: out = Wh @ img @ Ww^T (tritorch's interpolate
        # has no antialias; these weights are exactly PyTorch's).
        h, w = img.shape[-2], img.shape[-1]
        wh = tensor(_aa_weights(h, size[0], mode), dtype=img.dtype, device=img.device)
        ww = tensor(_aa_weights(w, size[1], mode).T, dtype=img.dtype, device=img.device)
        return matmul(matmul(wh, img), ww)
    lead = img.shape[:-3]
    batch = img.reshape(-1, *img.shape[-3:])
    align = False if mode in (InterpolationMode.BILINEAR, InterpolationMode.BICUBIC) else None
    out = F.interpolate(batch, size=list(size), mode=mode.value, align_corners=align)
    return out.reshape(*lead, *out.shape[-3:])


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resizes a (..., C, H, W) tensor image.  ``size`` (h, w) sets the output size; an int (or a
    one-element sequence) matches the smaller edge to it, keeping the aspect ratio (the longer
    edge capped at ``max_size``).  ``antialias`` (bilinear / bicubic only) low-pass filters when
    downsampling, exactly as torchvision / PIL do; nearest modes ignore it.  Integer images are
    computed in float32, rounded and clamped back to their dtype."""
    interpolation = _interpolation(interpolation)
    _assert_tensor_image(img)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. "
                             "size should be an int or a sequence of length 1 in torchscript mode.")
    _, h, w = get_dimensions(img)
    if isinstance(size, int) or len(size) == 1:
        output_size = _compute_resized_output_size((h, w), size, max_size)
    else:
        output_size = [int(size[0]), int(size[1])]
    if [h, w] == output_size:
        return img
    squeeze = img.ndim == 2
    x = img.unsqueeze(0) if squeeze else img
    out_dtype = x.dtype
    if not x.is_floating_point():
        x = x.to(float32)
    out = _resize_to(x, output_size, interpolation, antialias)
    if out_dtype != out.dtype:
        out = out.round()
        if out_dtype == uint8:  # bicubic overshoots; a float -> uint8 cast would wrap
            out = out.clamp(0, 255)
        out = out.to(out_dtype)
    return out.squeeze(0) if squeeze else out


class Resize(Module):
    """Resizes a tensor image (see `resize`).  Input: (..., C, H, W).  Output: (..., C, h, w)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    def forward(self, img):
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


# --- pad and crops ------------------------------------------------------------------------------

def _parse_pad_padding(padding):
    """int / [all] / [left-right, top-bottom] / [left, top, right, bottom] -> [l, r, t, b]."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _gather_index(n, lo, hi, mode):
    """Source indices along one axis for a non-constant pad: numpy's pad modes on 0..n-1
    ('edge', 'reflect', 'symmetric' are torchvision's mode names, too); negative pads crop."""
    idx = np.arange(n)[max(-lo, 0): n - max(-hi, 0)]
    return np.pad(idx, (max(lo, 0), max(hi, 0)), mode=mode)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pads the last two dims of a (..., C, H, W) tensor image.  ``padding``: an int (all
    sides), [left/right, top/bottom] or [left, top, right, bottom]; ``padding_mode``:
    "constant" (with ``fill``), "edge", "reflect" (mirror without the edge pixel) or
    "symmetric" (mirror with it).  Negative padding crops."""
    _assert_tensor_image(img)
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, right, top, bottom = (int(p) for p in _parse_pad_padding(padding))
    if padding_mode == "constant":
        return F.pad(img, [left, right, top, bottom], mode="constant", value=fill)
    h, w = img.shape[-2], img.shape[-1]
    rows = tensor(_gather_index(h, top, bottom, padding_mode), device=img.device)
    cols = tensor(_gather_index(w, left, right, padding_mode), device=img.device)
    return img.index_select(-2, rows).index_select(-1, cols)


def crop(img, top, left, height, width):
    """img[..., top:top+height, left:left+width]; the part outside the image is zero-filled."""
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    """The central (h, w) crop (zero-padded when larger than the image; an int means square)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """`crop` then `resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """Mirrors the image left-right (the last dim)."""
    _assert_tensor_image(img)
    return img.flip(-1)


class CenterCrop(Module):
    """Crops the centre (see `center_crop`).  Input: (..., C, H, W).  Output: (..., C, h, w)."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return center_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class RandomCrop(Module):
    """Crops a random (h, w) window, after optional ``padding`` (see `pad`); ``pad_if_needed``
    pads an image smaller than the crop on both sides of the short dim.
    Input: (..., C, H, W).  Output: (..., C, h, w)."""

    @staticmethod
    def get_params(img, output_size):
        """(top, left, h, w) of a uniformly drawn crop of ``output_size``."""
        _, h, w = get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        # One draw for both offsets (uniform over the (top, left) pairs): each random op costs a
        # generator set-up, which dominates per-image pipelines on small images.
        i, j = divmod(randint(0, (h - th + 1) * (w - tw + 1), size=(1,)).item(), w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return crop(img, i, j, h, w)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(Module):
    """Mirrors the image left-right with probability ``p`` (one draw per call)."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if rand(1).item() < self.p:
            return hflip(img)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomResizedCrop(Module):
    """Crops a random window of ``scale`` (fraction of the area) and ``ratio`` (aspect w/h,
    drawn log-uniformly) and resizes it to ``size`` (the Inception crop).
    Input: (..., C, H, W).  Output: (..., C, size[0], size[1])."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, h, w) of the crop: up to 10 draws of (area fraction, log aspect ratio),
        the first that fits wins; otherwise the central crop of the whole image clamped to
        ``ratio``.  Same draws as torchvision's."""
        _, height, width = get_dimensions(img)
        area = height * width
        log_ratio = log(tensor(ratio))
        for _ in range(10):
            target_area = area * empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = exp(empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item())).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = randint(0, height - h + 1, size=(1,)).item()
                j = randint(0, width - w + 1, size=(1,)).item()
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")
