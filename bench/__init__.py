"""Benchmarks of the dataset API (issue 6): cold start, round trips, scaling, size, local API, cost.

``make bench`` runs them all (``python -m bench.run``) and rewrites ``bench/REPORT.md`` and
``bench/list_latency.png``; ``make bench-smoke`` runs the same code at tiny sizes.
"""
