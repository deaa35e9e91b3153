"""FailureEvidence: tolerant construction from plain dicts, compact rendering for the judges."""

from __future__ import annotations

from enum import Enum

import pytest
from pydantic import ValidationError

from fama_dspy.analysis.evidence import FailureEvidence


class Termination(Enum):
    AGENT_STOP = "agent_stop"


def test_from_dict_normalises_benchmark_shaped_values():
    ev = FailureEvidence.from_dict(
        {
            "task_id": 7,
            "domain": "retail",
            "reward": 0.0,
            "reward_breakdown": {"DB": 0.0, "ACTION": None, "COMMUNICATE": 1},
            "termination_reason": Termination.AGENT_STOP,
            "missed_actions": [{"name": "exchange_delivered_order_items", "arguments": {"order_id": "#W1"}}],
            "wrong_argument_actions": None,
            "tool_errors": "Error: order not found",
            "messages": [{"role": "user", "content": "exchange please"}],
            "something_else": 1,
        }
    )
    assert ev.task_id == "7"
    assert ev.termination_reason == "agent_stop"
    assert ev.reward_breakdown == {"DB": 0.0, "COMMUNICATE": 1.0}
    assert ev.missed_actions == ['exchange_delivered_order_items({"order_id": "#W1"})']
    assert ev.wrong_argument_actions == []
    assert ev.tool_errors == ["Error: order not found"]
    assert ev.condensed_trajectory == "[0] user: exchange please"


def test_given_condensed_trajectory_wins_over_messages():
    ev = FailureEvidence.from_dict(
        {"task_id": "1", "condensed_trajectory": "[0] user: x", "messages": [{"role": "user"}]}
    )
    assert ev.condensed_trajectory == "[0] user: x"


def test_render_lists_what_is_known_and_omits_the_rest():
    ev = FailureEvidence(
        task_id="3",
        reward=0.0,
        reward_breakdown={"DB": 0.0},
        termination_reason="user_stop",
        missed_actions=[f"act_{i}()" for i in range(10)],
        db_mismatch=True,
        invalid_actions=2,
        user_in_role=True,
    )
    text = ev.render()
    assert text.splitlines()[:3] == [
        "reward: 0 (DB=0)",
        "ended by: user_stop",
        "gold actions never performed:",
    ]
    assert "- act_7()" in text and "- act_8()" not in text and "- … 2 more" in text
    assert "final database matches the expected one: no" in text
    assert "invalid agent actions (unknown tool or bad arguments): 2" in text
    assert "simulated user stayed in role: yes" in text
    for absent in ("wrong arguments", "tool errors", "parse", "did not give"):
        assert absent not in text


def test_unchecked_fields_are_not_rendered():
    text = FailureEvidence(task_id="1").render()
    assert text == "reward: 0"


def test_succeeded():
    assert FailureEvidence(task_id="1", reward=1.0).succeeded
    assert not FailureEvidence(task_id="1", reward=0.0).succeeded


def test_optional_text_may_be_none_but_task_id_may_not():
    ev = FailureEvidence.from_dict({"task_id": "1", "domain": None, "termination_reason": None})
    assert ev.domain == "" and ev.termination_reason == ""
    with pytest.raises(ValidationError):
        FailureEvidence.from_dict({"task_id": None})
