"""The op table: every family module contributes ``OPS = [OpInfo(...), ...]``."""
import importlib

FAMILIES = ("pointwise", "shape", "creation", "reduction", "sort", "indexing", "joining", "linalg", "random", "softmax",
            "normalization", "linear", "conv", "pooling", "loss", "activation", "dropout", "attention", "batch_norm",
            "sparse", "distance", "padding", "upsampling",
            "pixel_shuffle", "ctc_loss", "grid_sample", "optim", "rnn")


def all_opinfos():
    ops = []
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"tests.opinfo.{fam}")
        except ModuleNotFoundError as e:
            if e.name == f"tests.opinfo.{fam}":
                continue
            raise
        ops.extend(mod.OPS)
    return ops
