"""Scratch arrays reused from one block of candidates to the next.

Fresh memory is expensive: the first write to each page of a new array costs a page fault
(about a millisecond per megabyte on the 2-core VM the benchmarks run on), more than the
arithmetic on it. :func:`screening.finance.waterfall.fields_by_block` keeps one
:class:`Workspace` for all its blocks, so the dates x candidates arrays of the waterfall and
the XIRRs are allocated once and written over.
"""

from __future__ import annotations

import numpy as np


class Workspace:
    """Named scratch arrays: ``array(name, shape)`` returns a view of a buffer at least that big
    (allocated on first use, grown if needed). A name's contents last until the next call for
    the same name."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        buffer = self._buffers.get(name)
        if buffer is None or buffer.dtype != dtype or any(s > b for s, b in zip(shape, buffer.shape)):
            size = shape if buffer is None or buffer.dtype != dtype else tuple(map(max, shape, buffer.shape))
            buffer = np.empty(size, dtype=dtype)
            self._buffers[name] = buffer
        return buffer[tuple(slice(0, s) for s in shape)]
