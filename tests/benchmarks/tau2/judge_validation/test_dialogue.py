"""Gold dialogues score 1.0 in τ² and ask for confirmation before every write."""

from __future__ import annotations

import pytest

from benchmarks.tau2.judge_validation.helpers import turns
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import CONFIRM_REPLY


@pytest.mark.parametrize("domain, task_id", [("airline", "7"), ("retail", "0")])
def test_gold_dialogue_scores_one_and_confirms_every_write(contexts, domain, task_id):
    ctx, gold, baseline = contexts(domain, task_id)
    assert gold["reward"] == 1.0 and gold["termination"] == "user_stop" and gold["user_in_role"]
    messages = turns(gold)
    assert messages[1][0] == "user" and len(messages[1][1]) > 40  # the whole request up front
    for i, (role, text) in enumerate(messages):
        if role == "assistant" and text in ctx.writes:
            assert (
                messages[i - 2][1].startswith("To confirm, I will now")
                and messages[i - 1][1] == CONFIRM_REPLY
            )
    assert baseline.missed_actions == baseline.wrong_argument_actions == []
