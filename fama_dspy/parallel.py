"""``map_in_context``: one function over many items on a thread pool, the way every runner here needs it.

Episodes, decision points, counterfactual and episode re-runs, diagnoses and judge validation all
run work on threads against one LLM server. Each needs the same four things: the caller's
context in every worker (DSPy's settings live in context variables), results in item order,
a callback as each item finishes (progress bars), and a failure that stops scheduling new work
while what is already running finishes and saves its record (a rerun resumes from there).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor, as_completed
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_context(
    fn: Callable[[Item], Result],
    items: Sequence[Item],
    concurrency: int = 1,
    on_done: Callable[[Result], Any] | None = None,
) -> list[Result]:
    """``[fn(item) for item in items]`` on up to ``concurrency`` threads; results in item order.

    Every call runs in a copy of the caller's context. ``on_done(result)`` runs on the caller's
    thread as each call finishes. The first exception cancels the calls that have not started,
    lets the running ones finish, and is raised; Ctrl-C cancels what has not started and raises
    at once. ``concurrency <= 1`` runs the calls in order on the caller's thread.
    """
    if concurrency <= 1 or len(items) <= 1:
        results = []
        for item in items:
            result = fn(item)
            if on_done is not None:
                on_done(result)
            results.append(result)
        return results
    failure: Exception | None = None
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except CancelledError:
                    continue
                except Exception as exc:  # noqa: BLE001 - stop scheduling, keep what finishes
                    if failure is None:
                        failure = exc
                        for f in futures:
                            f.cancel()
                    continue
                if on_done is not None:
                    on_done(result)
        except BaseException:  # Ctrl-C: drop what has not started; running calls still save
            for f in futures:
                f.cancel()
            raise
    if failure is not None:
        raise failure
    return [future.result() for future in futures]
