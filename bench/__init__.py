"""Benchmarks (`make bench`): not tests.

Each prints ratios against a reference measured in the same run.
"""
