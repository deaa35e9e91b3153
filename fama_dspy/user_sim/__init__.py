"""Benchmark-neutral pieces of the simulated user: the first-person voice of a task's request and
the check that a generated user turn stays in the customer's role."""
