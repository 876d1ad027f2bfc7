"""Column colourings for compressed sparse Jacobians and Hessians.

A colouring groups the ``n`` columns of a pattern into ``c`` colours so that one evaluation
with ``c`` compressed directions (``S[j, colour[j]] = 1``) gives every nonzero entry.

- **Jacobians**: a distance-1 colouring of the *column intersection graph* (columns ``j`` and
  ``k`` are adjacent when some row has both): two columns of one colour never share a row, so
  ``J[i, j] = (J S)[i, colour[j]]`` (direct recovery).
- **Hessians**: a *star colouring* of the adjacency graph of ``H`` (Gebremedhin, Manne and
  Pothen, "What color is your Jacobian?", SIAM Review 2005): a distance-1 colouring in which
  every path on four vertices uses at least three colours, which is what direct recovery of a
  symmetric matrix needs: each entry ``H[i, j]`` is then read either from row ``i``,
  ``(H S)[i, colour[j]]``, where ``j`` is the only neighbour of ``i`` of its colour, or from
  row ``j``. Two colourings are tried and the one with fewer colours kept: the distance-2
  colouring (Coleman and Moré 1984; a star colouring, vectorised as a distance-1 colouring of
  the graph of ``(H + I)²``; ``2b + 1`` colours for a band of half-width ``b``, 3 for a
  tridiagonal Hessian, the optimum for a path), and, on graphs of up to :data:`SMALL`
  vertices, GMP's greedy star colouring (their Algorithm 4.1), which needs far fewer colours
  where a few vertices have many neighbours (2 for an arrowhead, against ``n``).

Written here, not taken from a library: networkx's ``greedy_color`` is a Python loop over a
graph of Python objects (seconds at ``n = 10⁵``) and has no star colouring; ColPack has no
maintained Python binding; scipy's column grouping is private. The greedy colouring below
works on CSR arrays: a sequential greedy loop in natural order for small graphs (optimal for
bands), and for large graphs the better of two vectorised colourings, a cyclic one from the
bandwidth (``colour = j mod (b + 1)``, optimal for bands) and Luby's maximal independent
sets, one colour at a time (at most ``Δ + 1`` colours, ``Δ`` the largest degree, for patterns
that are sparse but not banded, such as arrowheads).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["column_colouring", "star_colouring", "greedy_colouring", "SMALL"]

SMALL = 4000
"""Graphs up to this many vertices (and :data:`SMALL_EDGES` edges) are coloured by the
sequential greedy loop, a Python loop over the edges."""
SMALL_EDGES = 200_000


def _bool_csr(a):
    a = sp.csr_array(a, dtype=bool)
    a.sum_duplicates()
    a.sort_indices()
    return a


def _without_diagonal(g):
    g = sp.csr_array(g, dtype=bool)
    rows = np.repeat(np.arange(g.shape[0]), np.diff(g.indptr))
    keep = g.indices != rows
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=g.shape[0]))])
    out = sp.csr_array((g.data[keep], g.indices[keep], indptr), shape=g.shape)
    out.sort_indices()
    return out


def column_graph(pattern):
    """Adjacency (n × n, boolean CSR, no diagonal) of the column intersection graph."""
    p = _bool_csr(pattern)
    return _without_diagonal(p.T @ p)


PAIR_BUDGET = 5 * 10**7
"""Building the graph costs ``Σ_i r_i²`` for rows of ``r_i`` entries; above this (a pattern
with long dense rows, such as a cumsum's triangle) every column gets its own colour, which is
what any colouring would come close to there."""


def _too_dense(p) -> bool:
    r = np.diff(p.indptr).astype(np.int64)
    return bool(r.size) and (int(r.max()) >= p.shape[1] or int(r @ r) > PAIR_BUDGET)


def column_colouring(pattern) -> np.ndarray:
    """Distance-1 colouring of the columns of ``pattern`` (m × n): ``colour[j]`` in ``[0, c)``."""
    p = _bool_csr(pattern)
    if _too_dense(p):
        return np.arange(p.shape[1], dtype=np.intp)
    return greedy_colouring(column_graph(p))


def star_colouring(pattern) -> np.ndarray:
    """A star colouring of the symmetric ``pattern`` (n × n) (the distance-2 colouring)."""
    n = pattern.shape[0]
    h = _bool_csr(sp.csr_array(pattern, dtype=bool) + sp.eye_array(n, dtype=bool, format="csr"))
    adj = _without_diagonal(h)
    r = np.diff(adj.indptr).astype(np.int64)
    if _too_dense(h):
        distance2 = np.arange(n, dtype=np.intp)
    else:
        distance2 = greedy_colouring(_without_diagonal(h @ h))
    if n > SMALL or int(r @ r) > SMALL_EDGES:
        return distance2
    star = _star_greedy(adj)
    return star if star.max() < distance2.max() else distance2


def _star_greedy(adj) -> np.ndarray:
    """GMP's greedy star colouring (Algorithm 4.1 of "What color is your Jacobian?"): ``v``
    may not take the colour of ``x`` two steps away through ``w`` when ``w`` is uncoloured,
    or when ``x`` already has another neighbour of ``w``'s colour (a two-coloured path on
    four vertices). Fewer colours than distance-2 where a vertex has many neighbours
    (an arrowhead: 2 instead of n)."""
    n = adj.shape[0]
    ptr, idx = adj.indptr.tolist(), adj.indices.tolist()
    nbrs = [idx[ptr[v] : ptr[v + 1]] for v in range(n)]
    colour = [-1] * n
    for v in range(n):
        forbidden = set()
        for w in nbrs[v]:
            cw = colour[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in nbrs[w]:
                cx = colour[x]
                if x == v or cx < 0 or cx in forbidden:
                    continue
                if cw < 0 or any(y != w and colour[y] == cw for y in nbrs[x]):
                    forbidden.add(cx)
        c = 0
        while c in forbidden:
            c += 1
        colour[v] = c
    return np.asarray(colour, dtype=np.intp)


def greedy_colouring(adj) -> np.ndarray:
    """A distance-1 colouring of the graph ``adj`` (symmetric boolean CSR, no diagonal)."""
    n = adj.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    if adj.nnz == n * (n - 1):  # complete: every column its own colour
        return np.arange(n, dtype=np.intp)
    cyclic = _cyclic(adj)
    other = _sequential(adj) if n <= SMALL and adj.nnz <= SMALL_EDGES else _luby(adj)
    return cyclic if cyclic.max() <= other.max() else other


def _cyclic(adj) -> np.ndarray:
    """``j mod (b + 1)`` for the bandwidth ``b``: valid for any graph of that bandwidth."""
    coo = adj.tocoo()
    b = int(np.max(np.abs(coo.row - coo.col))) if coo.nnz else 0
    return np.arange(adj.shape[0], dtype=np.intp) % (b + 1)


def _sequential(adj) -> np.ndarray:
    """Greedy in natural order: each vertex takes the smallest colour its neighbours lack."""
    n = adj.shape[0]
    indptr, indices = adj.indptr, adj.indices.tolist()
    colours = [-1] * n
    for v in range(n):
        used = {colours[w] for w in indices[indptr[v] : indptr[v + 1]]}
        c = 0
        while c in used:
            c += 1
        colours[v] = c
    return np.asarray(colours, dtype=np.intp)


def _luby(adj, seed: int = 0) -> np.ndarray:
    """One maximal independent set per colour, each found by Luby's rounds (vectorised)."""
    n = adj.shape[0]
    prio = np.random.default_rng(seed).permutation(n).astype(np.int64) + 1
    indptr, indices = adj.indptr, adj.indices
    degree = np.diff(indptr)
    rows = np.repeat(np.arange(n), degree)
    starts = indptr[:-1][degree > 0]
    colours = np.full(n, -1, dtype=np.intp)
    uncoloured = np.ones(n, dtype=bool)
    c = 0
    while uncoloured.any():
        cand = uncoloured.copy()
        chosen = np.zeros(n, dtype=bool)
        while cand.any():
            best = np.zeros(n, dtype=np.int64)
            if indices.size:
                w = np.where(cand[indices], prio[indices], 0)
                best[degree > 0] = np.maximum.reduceat(w, starts)
            win = cand & (prio > best)
            chosen |= win
            cand &= ~win
            cand[indices[win[rows]]] = False
        colours[chosen] = c
        uncoloured &= ~chosen
        c += 1
    return colours


def seed_matrix(colours: np.ndarray, n_colours: int) -> np.ndarray:
    """The compressed seed ``S`` (n × c): ``S[j, colour[j]] = 1``."""
    S = np.zeros((colours.size, n_colours))
    S[np.arange(colours.size), colours] = 1.0
    return S
