"""Priming the server's prompt cache: the shared domain block is sent once, before concurrent work."""

import dspy
from conftest import POLICY, TOOLS
from openai_stub import OpenAIStub
from test_lm_router import LOOKUP, point

from fama_dspy.adapters import domain_block, prompt_layout
from fama_dspy.agent import ToolUseAgent
from fama_dspy.conversation import DecisionState, render_tools
from fama_dspy.lm import make_lm
from fama_dspy.prompt_cache import domain_blocks, prime_prompt_cache
from fama_dspy.results.decisions import evaluate_decisions


def system_of(request: dict) -> str:
    return request["body"]["messages"][0]["content"]


def test_one_block_per_domain():
    other = DecisionState(policy="Other domain.", tools=TOOLS, messages=[])
    states = [point(0).state, point(1).state, other]
    assert domain_blocks(states) == [
        domain_block({"policy": POLICY, "tools": render_tools(TOOLS)}),
        domain_block({"policy": "Other domain.", "tools": render_tools(TOOLS)}),
    ]


def test_concurrent_decisions_start_after_the_block_is_primed(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FAMA_LM_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(LOOKUP, delay=0.1) as server:
        lm = make_lm("openai/stub-model", api_base=server.api_base, cache=True)
        with dspy.context(lm=lm):
            evaluate_decisions(
                ToolUseAgent(decoding="json"), [point(i) for i in range(4)], tmp_path, concurrency=4
            )
    prime, *decisions = server.requests
    assert prime["body"]["max_tokens"] == 1 and len(prime["body"]["messages"]) == 1
    assert system_of(prime) == domain_block({"policy": POLICY, "tools": render_tools(TOOLS)})
    assert len(decisions) == 4
    assert all(system_of(r).startswith(system_of(prime) + "\n\n") for r in decisions)
    # The primed answer is one token on purpose: no truncation warning for it.
    assert not [r for r in caplog.records if "truncated" in r.getMessage()]


def test_no_priming_without_a_shared_prefix_or_an_lm():
    with prompt_layout("per-signature"):
        assert (
            prime_prompt_cache(
                make_lm("openai/x", api_base="http://127.0.0.1:9/v1", check=False), [point(0).state]
            )
            == 0
        )
    assert prime_prompt_cache(None, [point(0).state]) == 0
    assert prime_prompt_cache("lm-7", [point(0).state]) == 0  # a stand-in, not a DSPy LM


def test_a_dead_endpoint_skips_priming_in_one_line(caplog):
    lm = make_lm(
        "openai/stub-model", api_base="http://127.0.0.1:9/v1", cache=False, check=False, num_retries=0
    )
    assert prime_prompt_cache(lm, [point(0).state]) == 0
    assert any("prompt-cache priming skipped" in r.getMessage() for r in caplog.records)
