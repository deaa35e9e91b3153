"""ACEBench's agent category (multi-step and multi-turn) as a fama-dspy benchmark.

``AceBenchmark`` (``benchmark.py``) implements ``fama_dspy.benchmarks.base.Benchmark`` over a
checkout of ACEBench the user names (``--data-dir`` or ``FAMA_ACEBENCH_DIR``). Importing this
package loads nothing from that checkout.
"""
