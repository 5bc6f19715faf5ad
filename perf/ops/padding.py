"""Padding and upsampling benchmarks: reflect pad (1, 1, 1, 1) and 2x bilinear upsampling of an
(N, C, H, W) = (16, 64, 256, 256) activation on cuda, forward and forward + backward.

Bytes are the minimal DRAM traffic: reflect pad forward reads x and writes the padded y, its
backward reads dy and writes dx; bilinear 2x forward reads x and writes y (4x x's size), its
backward reads dy and writes dx.  FLOPs: bilinear does ~8 per output element (4 taps, 4 weight
products and adds), padding none."""
from perf.cases import Case, rand


def _pad_fwd(lib, s):
    lib.nn.functional.pad(s["x"], (1, 1, 1, 1), mode="reflect")


def _pad_fwd_bwd(lib, s):
    x = s["x"]
    lib.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect").backward(s["g"])
    x.grad = None


def _up_fwd(lib, s):
    lib.nn.functional.interpolate(s["x"], scale_factor=2, mode="bilinear", align_corners=False)


def _up_fwd_bwd(lib, s):
    x = s["x"]
    lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False).backward(s["g"])
    x.grad = None


def _setup(shape, out_shape, grad):
    def setup(lib, device, dtype):
        s = {"x": rand(lib, shape, device, dtype, seed=1, requires_grad=grad)}
        if grad:
            s["g"] = rand(lib, out_shape, device, dtype, seed=2)
        return s
    return setup


def cases(device, quick):
    if quick:
        shapes, dtypes = [(1, 2, 8, 8)], ("float32",)
    elif device == "cuda":
        shapes, dtypes = [(16, 64, 256, 256)], ("float32", "bfloat16")
    else:
        shapes, dtypes = [(4, 16, 64, 64)], ("float32",)
    out = []
    for n, c, h, w in shapes:
        padded = (n, c, h + 2, w + 2)
        up = (n, c, 2 * h, 2 * w)
        for dt in dtypes:
            item = 2 if dt != "float32" else 4
            x_b, p_b, u_b = n * c * h * w * item, n * c * (h + 2) * (w + 2) * item, 4 * n * c * h * w * item
            flops_up = 8 * 4 * n * c * h * w
            out.append(Case("padding", "reflect pad fwd", str((n, c, h, w)), dt, _setup((n, c, h, w), padded, False),
                            _pad_fwd, bytes=x_b + p_b))
            out.append(Case("padding", "reflect pad fwd+bwd", str((n, c, h, w)), dt,
                            _setup((n, c, h, w), padded, True), _pad_fwd_bwd, bytes=2 * (x_b + p_b)))
            out.append(Case("padding", "bilinear 2x fwd", str((n, c, h, w)), dt, _setup((n, c, h, w), up, False),
                            _up_fwd, flops=flops_up, bytes=x_b + u_b))
            out.append(Case("padding", "bilinear 2x fwd+bwd", str((n, c, h, w)), dt, _setup((n, c, h, w), up, True),
                            _up_fwd_bwd, flops=2 * flops_up, bytes=2 * (x_b + u_b)))
    return out
