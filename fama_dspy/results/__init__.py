"""Benchmark-neutral results: episode and decision records, their scoring, summaries and pass^k.

Every benchmark writes the same record files (``episodes.jsonl``, ``decisions.jsonl``), so the
report, the analysis and the optimizers read them without importing any benchmark.
"""
