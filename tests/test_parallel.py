import contextvars
import threading
import time

import pytest

from fama_dspy.parallel import map_in_context

LABEL = contextvars.ContextVar("label", default="unset")


def test_results_keep_item_order_when_calls_finish_out_of_order():
    def slow_first(n):
        time.sleep(0.05 if n == 0 else 0)
        return n * 10

    finished = []
    assert map_in_context(slow_first, [0, 1, 2, 3], concurrency=4, on_done=finished.append) == [0, 10, 20, 30]
    assert sorted(finished) == [0, 10, 20, 30]
    assert finished[-1] == 0  # on_done follows completion, not item order


def test_workers_see_the_callers_context():
    LABEL.set("caller")
    threads = set()

    def read(_):
        threads.add(threading.get_ident())
        time.sleep(0.01)
        return LABEL.get()

    assert map_in_context(read, range(4), concurrency=2) == ["caller"] * 4
    assert threading.get_ident() not in threads


def test_one_worker_runs_in_order_on_the_callers_thread():
    seen = []
    assert map_in_context(lambda n: seen.append((n, threading.get_ident())) or n, [3, 1, 2]) == [3, 1, 2]
    assert [n for n, _ in seen] == [3, 1, 2]
    assert {t for _, t in seen} == {threading.get_ident()}


def test_first_failure_stops_scheduling_lets_running_calls_finish_and_is_raised():
    started, finished = [], []
    gate = threading.Event()

    def work(n):
        started.append(n)
        if n == 0:
            gate.wait(1)
            raise ValueError("boom")
        if n == 1:
            gate.set()
            time.sleep(0.05)  # still running when item 0 fails
        else:
            time.sleep(0.2)  # slow enough that the queue cannot drain before the failure is seen
        finished.append(n)
        return n

    with pytest.raises(ValueError, match="boom"):
        map_in_context(work, list(range(20)), concurrency=2)
    assert 1 in finished  # the call running beside the failure completed (its record is saved)
    assert len(started) < 20  # items not yet started were cancelled
