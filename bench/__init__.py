"""Benchmarks of the dataset API: cold start, round trips, scaling, size, the local API, cost.

``make bench`` runs them all (``python -m bench.run``) and rewrites ``bench/REPORT.md``; ``make bench-smoke``
runs the same code at tiny sizes.
"""
