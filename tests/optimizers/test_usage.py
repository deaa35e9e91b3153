"""LM usage measured across DSPy's parallel executor (GEPA's and MIPROv2's threaded evaluations)."""

import copy

import dspy
from dspy.clients.cache import Cache
from dspy.utils.parallelizer import ParallelExecutor
from fama_dspy.optimizers.usage import SharedUsageTracker, measure_lm_usage
from opt_helpers import cancel_request, rule_lm
from scripted_lm import json_reply

from fama_dspy.fama_agent import FamaAgent


def talker(role, system, text):
    return json_reply(reasoning="r", action={"kind": "message", "message": "Which order?"})


def test_calls_in_worker_threads_are_counted_as_served(monkeypatch):
    monkeypatch.setattr(
        dspy, "cache", Cache(enable_disk_cache=False, enable_memory_cache=True, disk_cache_dir=None)
    )
    lm, engine = rule_lm(talker, cache=True)
    states = [cancel_request(i).state for i in range(1, 7)]
    agent = FamaAgent(specialists=[])
    with dspy.context(lm=lm), dspy.track_usage() as outer, measure_lm_usage() as report:
        ParallelExecutor(num_threads=3, disable_progress_bar=True).execute(lambda s: agent(state=s), states)
        ParallelExecutor(num_threads=3, disable_progress_bar=True).execute(lambda s: agent(state=s), states)
    # DSPy deep-copies a plain tracker into each worker: the served count would be 0 here.
    assert (report.calls, report.served, report.cache_hits) == (12, 6, 6)
    assert len(engine.calls) == report.served
    assert sum(len(v) for v in outer.usage_data.values()) == 6  # rolled up into the enclosing tracker


def test_the_shared_tracker_survives_deepcopy():
    tracker = SharedUsageTracker()
    assert copy.deepcopy(tracker) is tracker
    tracker.add_usage("m", {"prompt_tokens": 3})
    assert tracker.usage_data["m"] == [{"prompt_tokens": 3}]
