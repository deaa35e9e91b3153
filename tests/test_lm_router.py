"""Scale-out on OpenAI-compatible engines: replicas behind LiteLLM's Router, dozens of requests in flight."""

import threading
import time

import dspy
import pytest
from conftest import cancel_point
from openai_stub import OpenAIStub
from scripted_lm import action_reply

from fama_dspy.agent import ToolUseAgent
from fama_dspy.errors import ConfigError
from fama_dspy.lm import make_lm, resolve
from fama_dspy.lm_router import RouterEngine, parse_api_bases
from fama_dspy.results.decisions import DecisionPoint, evaluate_decisions

LOOKUP = action_reply(kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"})


def point(i: int) -> DecisionPoint:
    """Every point asks about order #W1: the stub's one answer is right for all of them."""
    return cancel_point(i, order="#W1")


def test_api_base_list_parses_into_replicas():
    assert parse_api_bases("http://a:8000/v1, http://b:8000/v1/,http://a:8000/v1") == [
        "http://a:8000/v1",
        "http://b:8000/v1",
    ]
    route = resolve("openai/m", api_base="http://a/v1,http://b/v1")
    assert route.replicas == ["http://a/v1", "http://b/v1"] and route.api_base == "http://a/v1"
    assert route.endpoint_id == "openai/m@http://a/v1|http://b/v1"
    assert resolve("openai/m", api_base="http://a/v1").replicas == []
    with pytest.raises(ConfigError, match="empty replica"):
        parse_api_bases("http://a/v1,,http://b/v1")
    with pytest.raises(ConfigError, match="not an http"):
        parse_api_bases("a:8000")


def test_requests_spread_over_replicas_and_answers_parse(tmp_path):
    with OpenAIStub(LOOKUP, delay=0.2) as a, OpenAIStub(LOOKUP, delay=0.2) as b:
        lm = make_lm("openai/stub-model", api_base=f"{a.api_base},{b.api_base}", cache=False)
        assert isinstance(lm._engine_spec, RouterEngine)
        with dspy.context(lm=lm):
            records = evaluate_decisions(
                ToolUseAgent(decoding="json"), [point(i) for i in range(8)], tmp_path, concurrency=4
            )
    assert [r["exact_ok"] for r in records] == [True] * 8
    # Least-busy routing: both replicas served, every request reached exactly one of them (the
    # bench's one-token prompt-cache priming request goes through the router too).
    decisions = [r for r in a.requests + b.requests if r["body"]["max_tokens"] != 1]
    assert len(decisions) == 8 and len(a.requests) + len(b.requests) == 9
    assert {r["headers"]["Host"] for r in decisions} == {a.api_base.split("/")[2], b.api_base.split("/")[2]}
    sent = decisions[0]
    assert sent["body"]["model"] == "stub-model"
    assert {k.lower(): v for k, v in sent["headers"].items()}[
        "x-fama-endpoint"
    ] == f"openai/stub-model@{a.api_base}|{b.api_base}"
    assert "metadata" not in sent["body"]


def test_router_lm_uses_dspys_response_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FAMA_LM_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(LOOKUP) as a, OpenAIStub(LOOKUP) as b:
        lm = make_lm("openai/stub-model", api_base=f"{a.api_base},{b.api_base}", cache=True)
        for _ in range(2):
            with dspy.context(lm=lm):
                ToolUseAgent(decoding="json")(state=point(0).state)
    assert len(a.requests) + len(b.requests) == 1


def test_dozens_of_decisions_in_flight_with_one_thread_each(tmp_path):
    concurrency, n, delay = 32, 64, 0.5
    with OpenAIStub(LOOKUP, delay=delay) as server:
        lm = make_lm("openai/stub-model", api_base=server.api_base, cache=False)
        baseline_threads = threading.active_count()
        peak_threads = [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak_threads[0] = max(peak_threads[0], threading.active_count())
                time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.perf_counter()
        with dspy.context(lm=lm):
            records = evaluate_decisions(
                ToolUseAgent(decoding="json"), [point(i) for i in range(n)], tmp_path, concurrency=concurrency
            )
        wall = time.perf_counter() - started
        stop.set()
    assert len(records) == n and all(r["exact_ok"] for r in records)
    # Requests really overlap (no connection pool or lock serialises them) ...
    assert server.peak_in_flight >= concurrency // 4  # one thread at a time would give 1
    assert wall < n * delay / 4  # serial would take n * delay
    # ... and the client holds one worker per concurrent decision, not one thread per request:
    # the stub's own handler threads (one per open connection) are the only other growth.
    client_threads = peak_threads[0] - baseline_threads - server.peak_in_flight
    assert client_threads <= concurrency + 8
