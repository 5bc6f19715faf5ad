"""`tritorch.nn.functional` (PyTorch's `torch.nn.functional`): PyTorch's signatures and defaults
over registry ops with fused kernels on cuda and numpy twins on cpu.

Each op family in `tritorch._ops` lists its public functionals in ``FUNCTIONAL`` (public name ->
function); this module re-exports them, so a family adds a functional without touching this file.
"""
from .._ops import (softmax as _softmax, normalization as _normalization, linear as _linear, conv as _conv,
                    pooling as _pooling, loss as _loss, activation as _activation, dropout as _dropout,
                    attention as _attention, batch_norm as _batch_norm, sparse as _sparse, distance as _distance,
                    padding as _padding, upsampling as _upsampling,
                    pixel_shuffle as _pixel_shuffle, ctc_loss as _ctc_loss, grid_sample as _grid_sample,
                    multi_head_attention as _multi_head_attention)

_FAMILIES = (_softmax, _normalization, _linear, _conv, _pooling, _loss, _activation, _dropout, _attention,
             _batch_norm, _sparse, _distance, _padding, _upsampling, _pixel_shuffle, _ctc_loss, _grid_sample,
             _multi_head_attention)


def _export():
    names = []
    for fam in _FAMILIES:
        for name, fn in fam.FUNCTIONAL.items():
            if name in globals():
                raise RuntimeError(f"tritorch.nn.functional: '{name}' exported twice ({fam.__name__})")
            globals()[name] = fn
            if not name.startswith("_"):
                names.append(name)
    return sorted(names)


__all__ = _export()
