"""The ``output_law`` row of ``diffbounds bench``: the side-by-side with the original
implementation is reported (structure only; no timing asserts, the row itself takes ~30 s)."""

from diffbounds.benchmarks.extras import _grid_tv
from diffbounds.benchmarks.sampler import format_table
from diffbounds.simulators.law1d import GridLaw


def test_output_law_row_reports_the_ratio_to_the_original():
    report = {"results": [], "output_law_readme": {
        "seconds": 5.0, "cpu_seconds": 4.0, "cells": 429391, "tv": 0.0749,
        "reference_seconds": 40.0, "reference_cpu_seconds": 22.0, "speedup_wall": 8.0,
        "speedup_cpu": 5.5, "tv_to_reference": 1.7e-14}}
    text = format_table(report)
    assert "output_law, README example: 5.0 s (4.0 s CPU, 429391 cells)" in text
    assert "original implementation: 40.0 s (22.0 s CPU): 5.5x CPU, 8.0x wall" in text
    assert "TV between the laws 1.7e-14" in text


def test_grid_tv_on_the_union_of_lattices():
    a = GridLaw([0.5, 0.5], 0.1, 3)
    b = GridLaw([0.25, 0.5, 0.25], 0.1, 2)
    # union cells 2..4: a = (0, .5, .5), b = (.25, .5, .25) -> ½ (.25 + 0 + .25)
    assert _grid_tv(a, b) == 0.25
    assert _grid_tv(a, a) == 0.0
