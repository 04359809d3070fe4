"""Ties and memberships as edge arrays."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from model.network import Memberships, Ties


def test_ties_are_undirected_unique_and_sorted():
    t = Ties(10)
    added = t.add(np.array([3, 1, 1, 4, 5]), np.array([1, 3, 2, 4, 6]), 0.3)
    assert added == 3  # (1,3) once, (1,2), (5,6); the self-pair (4,4) is ignored
    assert np.all(t.i < t.j)
    assert np.all(np.diff(t.keys()) > 0)
    assert t.add(np.array([2]), np.array([1]), 0.9) == 0  # existing pair
    assert np.allclose(t.w, 0.3)


def test_reinforce_moves_existing_weight_towards_one():
    t = Ties(5)
    t.add(np.array([0]), np.array([1]), 0.2)
    t.add(np.array([1]), np.array([0]), 0.5, reinforce=True)
    assert t.w[0] == pytest.approx(0.2 + 0.5 * 0.8)


def test_remove_residents_and_matrix_symmetry():
    t = Ties(6)
    t.add(np.array([0, 0, 1, 2]), np.array([1, 2, 3, 4]), 0.6)
    gone = np.zeros(6, dtype=bool)
    gone[0] = True
    t.remove_residents(gone)
    assert len(t) == 2 and not np.any((t.i == 0) | (t.j == 0))
    m = t.matrix()
    assert (m != m.T).nnz == 0
    assert m.shape == (6, 6)


def test_degree_matches_networkx():
    rng = np.random.default_rng(0)
    t = Ties(40)
    t.add(rng.integers(0, 40, 120), rng.integers(0, 40, 120), 0.7)
    g = nx.Graph()
    g.add_nodes_from(range(40))
    g.add_edges_from(zip(t.i.tolist(), t.j.tolist(), strict=True))
    assert t.degree().tolist() == [g.degree[k] for k in range(40)]


def test_memberships_skip_duplicates():
    m = Memberships()
    assert m.add(np.array([1, 1, 2]), np.array([0, 0, 0]), n_groups=3) == 2
    assert m.add(np.array([1, 3]), np.array([0, 1]), n_groups=3) == 1
    assert m.counts_by_group(3).tolist() == [2, 1, 0]
