"""Malformed model outputs, fed through every configuration and decoding mode with a scripted LM.

Nothing the model wrote may reach the customer unless it is a plain-text message after cleaning:
each kind below either ends as a clean message, a valid call, or (after the one repair retry) the
safe fallback question.
"""

import json

import pytest
from scripted_lm import json_reply, truncated

from fama_dspy.action_parsing import FALLBACK_MESSAGE
from fama_dspy.configs import build_agent

JUNK_MARKERS = (
    "<think>",
    "</think>",
    "\x00",
    "###STOP###",
    "tool_name",
    '"arguments"',
    "<tool_call>",
    "(user_id=",
)

#: kind -> raw text the model writes where a message or call belongs.
MALFORMED = {
    "think block": "<think>The user wants to cancel, I should call cancel_order.</think>",
    "unterminated think": "<think>Let me reason about the policy first and then",
    "broken call json": '{"tool_name": "cancel_order", "arguments": "#W1"}',
    "unclosed call json": '{"name": "cancel_order", "arguments": {"order_id": "#W1"',
    "tool_call tag": '<tool_call>\n{"name": "cancel_order", "arguments": ',
    "call syntax": "cancel_order(order_id='#W1', reason=\"no longer needed\")",
    "nul bytes": "\x00\x00\x00",
    "stop token": "###STOP###",
    "unknown tool in json": '```json\n{"name": "refund_everything", "arguments": {}}\n```',
    "empty": "   ",
}
TRAILING_JUNK = {  # junk around real words: the words may pass, the junk never
    "think then words": "<think>hidden</think>Your order #W1 is pending.",
    "words with stop token": "Your order #W1 is pending. ###STOP###",
    "words with nul": "Your order\x00 #W1 is pending.",
}
SPECIALISTS = {
    "dce": [json_reply(rules=["Confirm before cancelling"])],
    "tsa": [json_reply(tools=["cancel_order"], why="cancel")],
    "tor": [json_reply(facts=["order #W1 pending"])],
    "pln": [json_reply(steps=["cancel the order"])],
    "ver": [json_reply(verdict="PASS", reason="ok")],
}
CONFIGS = [
    ("react", {}),
    ("fc", {}),
    ("irma", {}),
    ("fama", {"specialists": ["dce", "mem", "ver"]}),
    ("fama", {"base": "fc", "specialists": ["pln", "mem"]}),
]
MODES = ["constrained", "json", "free"]


def as_react(text: str) -> str:
    """The junk where a react answer's message goes."""
    return json.dumps({"reasoning": "r", "action": {"kind": "message", "message": text}})


def answers(base: str, text: str, repeat: int = 2) -> list:
    return [as_react(text) if base == "react" else {"text": text}] * repeat


def base_of(name: str, kw: dict) -> str:
    return "fc" if name == "fc" or kw.get("base") == "fc" else "react"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, kw", CONFIGS, ids=[f"{n}:{k.get('base', '')}" for n, k in CONFIGS])
@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_text_never_reaches_the_customer(scripted, state, name, kw, mode, kind):
    base = base_of(name, kw)
    scripted({**SPECIALISTS, "agent": answers(base, MALFORMED[kind])})
    pred = build_agent(name, decoding=mode, **kw)(state=state)
    action = pred.action
    if action.kind == "message":
        assert action.message == FALLBACK_MESSAGE and pred.info["parse_failures"] >= 1, kind
    else:  # the call the model meant, repaired from its text (an unclosed JSON call) and validated
        assert base == "fc" and action.tool_name == "cancel_order" and action.arguments == {"order_id": "#W1"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("base", ["react", "fc"])
@pytest.mark.parametrize("kind", sorted(TRAILING_JUNK))
def test_words_pass_without_their_junk(scripted, state, base, mode, kind):
    scripted({"agent": answers(base, TRAILING_JUNK[kind])})
    pred = build_agent(base, decoding=mode)(state=state)
    assert pred.action.kind == "message" and pred.action.message == "Your order #W1 is pending."
    assert not any(m in pred.action.message for m in JUNK_MARKERS)


@pytest.mark.parametrize("base", ["react", "fc"])
def test_truncated_junk_is_never_sent(scripted, state, base):
    text = "I'm sorry, but " * 200
    cut = truncated(as_react(text)[:400]) if base == "react" else truncated(text)
    scripted({"agent": [cut, cut]})
    pred = build_agent(base)(state=state)
    assert pred.action.message == FALLBACK_MESSAGE and pred.info["truncations"] == 2


def test_a_stop_token_the_benchmark_defines_is_passed_on(scripted, state):
    scripted({"agent": answers("fc", "Goodbye. ###STOP###")})
    allowed = state.model_copy(update={"stop_tokens": ["###STOP###"]})
    assert build_agent("fc")(state=allowed).action.message == "Goodbye. ###STOP###"
