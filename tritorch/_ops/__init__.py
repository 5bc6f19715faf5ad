"""Op declarations (meta + autograd) by family; importing this registers every op."""
from . import (_common, pointwise, creation, shape, reduction, sort, indexing, joining, linalg,  # noqa: F401
               random, transfer, softmax, normalization,
               linear, conv, pooling, loss, activation, dropout, attention, batch_norm, sparse, distance, padding, upsampling,
               pixel_shuffle, ctc_loss, grid_sample, optim)
