"""Every benchmark module imports: bench/ is not type-checked, and a renamed product interface
would otherwise only show up when someone runs a benchmark by hand."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    "module", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__")
)
def test_benchmark_module_imports(module: str) -> None:
    importlib.import_module(f"bench.{module}")
