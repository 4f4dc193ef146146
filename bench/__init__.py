"""Benchmarks: runnable comparisons of ours against a baseline, measured in the same run."""
