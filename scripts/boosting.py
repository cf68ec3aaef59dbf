"""Gradient-boosted decision trees for a yes/no label (logistic loss), fitted by hand.

Each round fits one tree of at most `Settings.depth` levels to the loss's gradient: splits are chosen
among quantile thresholds per feature by the Newton gain, leaves take the Newton step -G / (H + l2), and
the tree is added scaled by the learning rate. The result is a `BoostedTrees` of
bot/core/matching/decision.py.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.matching.decision import BoostedTrees, Tree, logistic

DECIMALS = 9  # feature values are told apart to this many decimals


@dataclass(frozen=True, slots=True)
class Settings:
    """How the trees are grown."""

    trees: int = 60
    depth: int = 3
    rate: float = 0.12
    l2: float = 1.0  # added to each leaf's hessian sum: shrinks leaves fitted on few rows
    min_leaf: int = 20  # rows a leaf needs at least
    bins: int = 32  # groups per feature: at most bins - 1 candidate thresholds


def fit_trees(
    names: Sequence[str], xs: Sequence[Sequence[float]], ys: Sequence[int], settings: Settings = Settings()
) -> BoostedTrees:
    """Boosted trees over the features `names` (the columns of xs) for the labels ys (0 or 1)."""
    if not xs:
        raise ValueError("no rows to fit")
    edges = [_edges([x[f] for x in xs], settings.bins) for f in range(len(names))]
    binned = [[bisect.bisect_left(edges[f], value) for f, value in enumerate(x)] for x in xs]
    share = min(max(sum(ys) / len(ys), 1e-6), 1 - 1e-6)
    base = math.log(share / (1 - share))
    scores = [base] * len(xs)
    trees: list[_Grown] = []
    grower = _Grower(names, edges, binned, settings)
    for _ in range(settings.trees):
        chances = [logistic(s) for s in scores]
        grower.gradient = [p - y for p, y in zip(chances, ys, strict=True)]
        grower.hessian = [max(p * (1 - p), 1e-6) for p in chances]
        tree = grower.grow(list(range(len(xs))), settings.depth)
        trees.append(tree)
        scores = [s + settings.rate * _leaf(tree, row) for s, row in zip(scores, binned, strict=True)]
    return BoostedTrees(base, tuple(_named(tree, names, edges, settings.rate) for tree in trees))


def _edges(values: list[float], bins: int) -> list[float]:
    """Up to bins - 1 thresholds splitting the values into groups of about equal size: each halfway between
    two neighbouring values, so that no value sits on one. Values are compared to 9 decimals (a share
    computed as 0.9999999999999998 is 1), so no split separates rounding noise."""
    ordered = sorted(round(v, DECIMALS) for v in values)
    distinct = sorted(set(ordered))
    cuts = set(distinct)
    if len(distinct) > bins:
        cuts = {ordered[len(ordered) * k // bins] for k in range(1, bins)}
    return [(a + b) / 2 for a, b in itertools.pairwise(distinct) if a in cuts]


# While growing, a split is (feature number, bin number): rows whose bin is <= it go low.
_Grown = float | tuple[int, int, "_Grown", "_Grown"]


class _Grower:
    """Grows one tree on binned rows for the current gradient and hessian."""

    def __init__(
        self, names: Sequence[str], edges: list[list[float]], binned: list[list[int]], settings: Settings
    ) -> None:
        self.features = range(len(names))
        self.edges, self.binned, self.settings = edges, binned, settings
        self.gradient: list[float] = []
        self.hessian: list[float] = []

    def grow(self, rows: list[int], depth: int) -> _Grown:
        """The best tree of at most `depth` levels over these rows."""
        g, h, l2 = self.gradient, self.hessian, self.settings.l2
        total_g, total_h = sum(g[r] for r in rows), sum(h[r] for r in rows)
        if depth == 0 or len(rows) < 2 * self.settings.min_leaf:
            return -total_g / (total_h + l2)
        split = self._best_split(rows, total_g, total_h)
        if split is None:
            return -total_g / (total_h + l2)
        f, b = split
        low = [r for r in rows if self.binned[r][f] <= b]
        high = [r for r in rows if self.binned[r][f] > b]
        return (f, b, self.grow(low, depth - 1), self.grow(high, depth - 1))

    def _best_split(self, rows: list[int], total_g: float, total_h: float) -> tuple[int, int] | None:
        """The (feature, bin) split of the highest Newton gain that leaves min_leaf rows each side."""
        g, h, l2, least = self.gradient, self.hessian, self.settings.l2, self.settings.min_leaf
        parent = total_g * total_g / (total_h + l2)
        best, best_gain = None, 1e-9
        for f in self.features:
            size = len(self.edges[f]) + 1
            if size < 2:
                continue
            sum_g, sum_h, count = [0.0] * size, [0.0] * size, [0] * size
            for r in rows:
                b = self.binned[r][f]
                sum_g[b] += g[r]
                sum_h[b] += h[r]
                count[b] += 1
            low_g = low_h = 0.0
            low_n = 0
            for b in range(size - 1):
                low_g, low_h, low_n = low_g + sum_g[b], low_h + sum_h[b], low_n + count[b]
                if low_n < least or len(rows) - low_n < least:
                    continue
                high_g, high_h = total_g - low_g, total_h - low_h
                gain = low_g * low_g / (low_h + l2) + high_g * high_g / (high_h + l2) - parent
                if gain > best_gain:
                    best, best_gain = (f, b), gain
        return best

def _leaf(tree: _Grown, row: list[int]) -> float:
    """The leaf value of a binned row."""
    while isinstance(tree, tuple):
        f, b, low, high = tree
        tree = low if row[f] <= b else high
    return tree


def _named(tree: _Grown, names: Sequence[str], edges: list[list[float]], rate: float) -> Tree:
    """A grown tree as a BoostedTrees tree: feature names, the threshold each bin split stands for, and
    its leaves scaled by the learning rate."""
    if isinstance(tree, tuple):
        f, b, low, high = tree
        return (names[f], edges[f][b], _named(low, names, edges, rate), _named(high, names, edges, rate))
    return tree * rate
