"""Summaries of timing samples, and the interleaving of variants within rounds.

Every figure is a median over rounds; min, max and p95 come with it. Variants of one scenario
run one after the other inside each round (in an order that rotates), so drift in the load of
this shared machine reaches every variant alike and their ratios stay meaningful.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence


def summary(samples: Sequence[float]) -> dict[str, float]:
    """median, min, max and p95 (nearest rank) of ``samples``, with their count."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "p95": ordered[rank - 1],
        "n": float(len(ordered)),
    }


def interleave(
    variants: Mapping[str, Callable[[], float | Mapping[str, float]]], rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Run each variant once per round, rotating their order; collect every figure each
    returns (a bare float is its "wall" figure)."""
    names = list(variants)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            figures = variants[name]()
            if not isinstance(figures, Mapping):
                figures = {"wall": figures}
            for key, value in figures.items():
                samples[name].setdefault(key, []).append(value)
    return samples


def summarize(
    samples: Mapping[str, Mapping[str, Sequence[float]]],
) -> dict[str, dict[str, dict[str, float]]]:
    return {
        name: {key: summary(values) for key, values in figures.items()}
        for name, figures in samples.items()
    }


def ratio(numerator: Mapping[str, float], denominator: Mapping[str, float]) -> float:
    """The ratio of two medians."""
    return numerator["median"] / denominator["median"]
