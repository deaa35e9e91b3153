import contextvars
import threading

import dspy
from scripted_lm import COMPLETION_TOKENS, PROMPT_TOKENS, json_reply, scripted_lm

from fama_dspy.lm_calls import output_text, record_lm_calls, total_usage


def ask(lm):
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        return dspy.Predict("policy -> rules: list[str]")(policy="p")


def test_calls_are_counted_in_nested_blocks_and_worker_threads():
    lm, engine = scripted_lm({"dce": [json_reply(rules=["a"])]})
    with record_lm_calls() as outer:
        ask(lm)
        with record_lm_calls() as inner:
            worker = threading.Thread(target=contextvars.copy_context().run, args=(ask, lm))
            worker.start()
            worker.join()
    assert (outer.calls, inner.calls, len(engine.calls)) == (2, 1, 2)
    assert inner.last_text() == json_reply(rules=["a"])
    # Outside any block nothing is recorded.
    ask(lm)
    assert outer.calls == 2


def test_output_text_covers_text_and_tool_calls():
    assert output_text("hi") == "hi"
    assert output_text({"text": "hi", "tool_calls": None}) == "hi"
    assert '"name": "f"' in output_text({"text": None, "tool_calls": [{"function": {"name": "f"}}]})
    assert output_text(None) == ""


def test_total_usage_sums_over_calls():
    lm, _ = scripted_lm({"dce": [json_reply(rules=[])]})
    with dspy.track_usage() as tracker:
        ask(lm)
        ask(lm)
    assert total_usage(tracker) == {
        "prompt_tokens": 2 * PROMPT_TOKENS,
        "completion_tokens": 2 * COMPLETION_TOKENS,
        "total_tokens": 2 * (PROMPT_TOKENS + COMPLETION_TOKENS),
    }
