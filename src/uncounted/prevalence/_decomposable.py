"""Decomposable (chordal) graphs on a few lists, with their cliques and separators.

Madigan & York (1997) average over the decomposable graphical log-linear models: an
undirected graph on the lists whose every cycle of four or more vertices has a chord. Such a
graph factorises the table as the product of its cliques' margins over the product of its
separators' margins, which gives the closed-form marginal likelihood used in
:mod:`uncounted.prevalence.dga`. The R package dga ships the graphs on 3, 4 and 5 lists as
data (``graphs3``, ``graphs4``, ``graphs5``: 8, 61 and 822 graphs); here they are enumerated:
every subset of the ``L(L-1)/2`` edges is tested for chordality by elimination of simplicial
vertices, its maximal cliques listed, and its separators read off a junction tree (a
maximum-weight spanning tree of the cliques, weight = size of the intersection; Blair &
Peyton 1993, "An introduction to chordal graphs and clique trees"). Empty separators (between
disconnected components) are dropped: their factor is 1.

Vertex sets are bit masks: list ``j`` (0-based, in the histories' order) is bit ``j``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations

__all__ = ["DecomposableGraph", "decomposable_graphs"]


@dataclass(frozen=True)
class DecomposableGraph:
    """One decomposable graph: its edges, maximal cliques and (non-empty) separators."""

    edges: tuple[tuple[int, int], ...]
    cliques: tuple[int, ...]  # bit masks
    separators: tuple[int, ...]  # bit masks, a multiset, non-empty only


def _is_chordal(n: int, adj: list[int]) -> bool:
    """Repeatedly remove a simplicial vertex (its neighbours are pairwise adjacent)."""
    left = (1 << n) - 1
    while left:
        for v in range(n):
            if not left >> v & 1:
                continue
            nb = adj[v] & left
            if all(adj[u] & nb | (1 << u) == nb | (1 << u) for u in _bits(nb)):
                left &= ~(1 << v)
                break
        else:
            return False
    return True


def _bits(mask: int) -> list[int]:
    return [j for j in range(mask.bit_length()) if mask >> j & 1]


def _maximal_cliques(n: int, adj: list[int]) -> list[int]:
    cliques = [
        mask
        for mask in range(1, 1 << n)
        if all(adj[u] & mask | (1 << u) == mask for u in _bits(mask))
    ]
    return [c for c in cliques if not any(c != d and c & d == c for d in cliques)]


def _separators(cliques: list[int]) -> list[int]:
    """Intersections along a maximum-weight spanning tree of the cliques (Kruskal)."""
    pairs = sorted(
        ((bin(a & b).count("1"), i, j) for (i, a), (j, b) in combinations(enumerate(cliques), 2)),
        reverse=True,
    )
    parent = list(range(len(cliques)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    out = []
    for weight, i, j in pairs:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[ri] = rj
            if weight:
                out.append(cliques[i] & cliques[j])
    return sorted(out)


@cache
def decomposable_graphs(n_lists: int) -> tuple[DecomposableGraph, ...]:
    """All decomposable graphs on ``n_lists`` vertices (2 to 5), the empty graph first."""
    if not 2 <= n_lists <= 5:
        raise ValueError(f"decomposable graphs are enumerated for 2 to 5 lists, not {n_lists}")
    all_edges = list(combinations(range(n_lists), 2))
    graphs = []
    for code in range(1 << len(all_edges)):
        edges = tuple(e for k, e in enumerate(all_edges) if code >> k & 1)
        adj = [0] * n_lists
        for i, j in edges:
            adj[i] |= 1 << j
            adj[j] |= 1 << i
        if not _is_chordal(n_lists, adj):
            continue
        cliques = _maximal_cliques(n_lists, adj)
        graphs.append(DecomposableGraph(edges, tuple(cliques), tuple(_separators(cliques))))
    return tuple(graphs)
