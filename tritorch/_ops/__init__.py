"""Op declarations (meta + autograd) by family; importing this registers every op."""
from . import (_common, pointwise, pointwise_copy, pointwise_unary, pointwise_ternary,  # noqa: F401
               creation, shape, reduction, sort, indexing, joining, linalg,  # noqa: F401
               reduction_stats, reduction_scan, reduction_compare, sort_index, gather_scatter, einsum,
               random, transfer, softmax, normalization,
               linear, conv, pooling, loss, activation, dropout, attention, batch_norm, sparse, distance, padding, upsampling,
               pixel_shuffle, ctc_loss, grid_sample, optim, rnn)
