"""Rule shortcuts decide only what the evidence decides."""

from __future__ import annotations

from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.rules import category_by_rule, non_agent_by_rule


def test_user_out_of_role_is_user_drift():
    kind, rationale = non_agent_by_rule(FailureEvidence(task_id="1", user_in_role=False))
    assert kind == "user_drift" and "role" in rationale


def test_user_simulator_error_is_user_drift():
    assert non_agent_by_rule(FailureEvidence(task_id="1", termination_reason="user_error"))[0] == "user_drift"


def test_no_rule_without_decisive_evidence():
    assert (
        non_agent_by_rule(FailureEvidence(task_id="1", user_in_role=True, termination_reason="agent_stop"))
        is None
    )
    assert non_agent_by_rule(FailureEvidence(task_id="1")) is None


def test_wrco_cannot_occur_without_tool_output():
    ev = FailureEvidence(task_id="1", condensed_trajectory="[0] user: hi\n[1] assistant: bye")
    verdict = category_by_rule("WRCO", ev)
    assert verdict.occurred is False and verdict.source == "rule"
    for other in ("DPV", "CM", "IFU"):
        assert category_by_rule(other, ev) is None


def test_wrco_rule_stays_silent_when_tool_output_exists_or_may_be_omitted():
    with_tool = "[0] user: hi\n[1] tool result (get_order): {}"
    with_error = "[0] user: hi\n[1] tool error (get_order): not found"
    omitted = "[0] user: hi\n[1-9] … 9 turns omitted\n[10] assistant: bye"
    for text in (with_tool, with_error, omitted, ""):
        assert category_by_rule("WRCO", FailureEvidence(task_id="1", condensed_trajectory=text)) is None
