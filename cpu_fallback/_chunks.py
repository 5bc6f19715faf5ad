"""Chunked filling of large outputs: creation and random ops compute a result this many elements
at a time straight into ``out``, so the only temporaries are one chunk's buffers, not 2-3 arrays
of the result's size."""

CHUNK = 1 << 16


def chunks(flat):
    """(chunk view of ``flat``, first index, count) over a 1-d array (any stride)."""
    n = flat.shape[0]
    for i in range(0, n, CHUNK):
        yield flat[i:i + CHUNK], i, min(CHUNK, n - i)
