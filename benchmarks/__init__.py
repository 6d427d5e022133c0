"""Benchmark workloads behind ``diffbounds bench``."""
