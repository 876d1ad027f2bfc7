"""Output memory of the kernels: plain numpy arrays for small outputs, recycled blocks for
larger ones.

Fresh memory costs a page fault (and the kernel zeroing the page) on first write, which
measured three times the cost of writing it, so a repeated evaluation reuses the blocks its own
temporaries gave back. glibc hands out blocks of 128 KiB and more (:data:`POOLED`) as fresh
mappings and returns them to the system when freed, so without recycling every such output
page-faults: ``sin`` of a HyperDual on 10⁵ elements took 1.36 ms with fresh outputs and 0.79 ms
with recycled ones (``python -m benchmarks.kernels_report``, layouts). Smaller outputs are
plain ``np.empty`` arrays: there the allocator already recycles, and a pool's bookkeeping (a
microsecond) would cost more than the call saves.

- From :data:`POOLED` to :data:`MAPPED` bytes: numpy blocks, at most :data:`POOL_TOTAL` bytes
  of them kept (portable: plain numpy memory).
- From :data:`MAPPED` bytes: private anonymous mappings; one given back is marked
  ``MADV_FREE``: its pages stay mapped and are written again without a fault, unless the
  system runs short of memory first and takes them. So a kept block holds nothing the system
  cannot reclaim; at most an eighth of physical memory is kept. Where anonymous mappings or
  ``MADV_FREE`` do not exist (Windows, older macOS and kernels) these are plain ``np.empty``
  arrays.
"""

from __future__ import annotations

import math
import os
import threading
from ctypes import addressof, c_char

import numpy as np

POOLED = 128 << 10
"""Outputs of at least this many bytes (glibc's default mmap threshold) are recycled."""

MAPPED = 4 << 20
"""Outputs of at least this many bytes come from recycled mappings where the platform has them."""

POOL_TOTAL = 32 << 20
"""Bytes of numpy blocks (under MAPPED) kept for reuse."""


def _mapping_flags():
    """``mmap`` flags of a private anonymous mapping, or None where the platform lacks them."""
    import mmap

    if not (hasattr(mmap, "MAP_PRIVATE") and hasattr(mmap, "MAP_ANONYMOUS")):
        return None
    if not hasattr(mmap, "MADV_FREE"):
        return None
    return mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 1 << 30


def _numpy_block(nbytes: int) -> tuple:
    arr = np.empty(nbytes // 8)
    return (arr, arr.__array_interface__["data"][0], nbytes)


class _Lease:
    """Owner of a recycled block seen as an array: when the last array on it dies, the block
    goes back to its pool instead of to the system."""

    __slots__ = ("block", "pool", "__array_interface__")

    def __init__(self, block: tuple, shape: tuple, pool: LargeBlocks):
        self.block = block
        self.pool = pool
        self.__array_interface__ = {
            "data": (block[1], False),
            "shape": shape,
            "typestr": "<f8",
            "version": 3,
        }

    def __del__(self):
        try:
            self.pool.give(self.block)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class LargeBlocks:
    """Recycled blocks for outputs of :data:`POOLED` bytes or more: numpy blocks under
    :data:`MAPPED` bytes, private mappings from there."""

    def __init__(self):
        self.free: dict = {}  # nbytes -> list of blocks (owner, address, nbytes)
        self.kept = 0  # bytes of mappings kept
        self.pooled = 0  # bytes of numpy blocks kept
        self.flags = _mapping_flags()
        self.limit = _physical_memory() // 8 if self.flags is not None else 0
        self.lock = threading.Lock()

    def empty(self, shape: tuple) -> np.ndarray:
        """An uninitialised float64 array of ``shape``."""
        nbytes = 8 * math.prod(shape)
        if nbytes < POOLED or (nbytes >= MAPPED and not self.limit):
            return np.empty(shape)
        block = None
        with self.lock:
            blocks = self.free.get(nbytes)
            if blocks:
                block = blocks.pop()
                if nbytes < MAPPED:
                    self.pooled -= nbytes
                else:
                    self.kept -= nbytes
        if block is None:
            block = self._new(nbytes) if nbytes >= MAPPED else _numpy_block(nbytes)
            if block is None:
                return np.empty(shape)
        return np.asarray(_Lease(block, shape, self))

    def _new(self, nbytes: int):
        import mmap

        try:
            owner = mmap.mmap(-1, nbytes, flags=self.flags)
        except (OSError, ValueError, TypeError):
            self.limit = 0
            return None
        if hasattr(mmap, "MADV_HUGEPAGE"):
            try:
                owner.madvise(mmap.MADV_HUGEPAGE)
            except OSError:
                pass
        return (owner, addressof(c_char.from_buffer(owner)), nbytes)

    def give(self, block: tuple) -> None:
        """Keep ``block`` for reuse (called when the last array on it dies)."""
        if not self.lock.acquire(blocking=False):  # never wait inside a finalizer
            return
        try:
            nbytes = block[2]
            if nbytes < MAPPED:
                if self.pooled + nbytes <= POOL_TOTAL:
                    self.free.setdefault(nbytes, []).append(block)
                    self.pooled += nbytes
            elif self.kept + nbytes <= self.limit and self._release(block[0]):
                self.free.setdefault(nbytes, []).append(block)
                self.kept += nbytes
        finally:
            self.lock.release()

    def _release(self, owner) -> bool:
        """Mark a mapping's pages free for the system to take (False: not possible here)."""
        import mmap

        try:
            owner.madvise(mmap.MADV_FREE)
            return True
        except (AttributeError, OSError, ValueError):
            self.limit = 0
            return False

    def after_fork(self) -> None:
        self.lock = threading.Lock()


BLOCKS = LargeBlocks()
empty = BLOCKS.empty
