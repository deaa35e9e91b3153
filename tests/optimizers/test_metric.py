import inspect
import json

import dspy
import pytest
from conftest import POLICY, TOOLS
from fama_dspy.optimizers.dataset import point_row, row_example
from fama_dspy.optimizers.metric import DecisionFeedbackMetric, diagnose, exact_metric
from fama_dspy.signatures.action import AgentAction
from opt_helpers import after_lookup, cancel_request

from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
from fama_dspy.conversation import DecisionState, Message, ToolCall, ToolSpec

metric = DecisionFeedbackMetric()


def call(name, **args):
    return AgentAction(kind="tool_call", tool_name=name, arguments=args)


def say(text):
    return AgentAction(kind="message", message=text)


def pred(action, fallback=False):
    return dspy.Prediction(action=action, info={"fallback": fallback})


def with_messages(example, messages, gold):
    state = DecisionState(policy=POLICY, tools=TOOLS, messages=messages)
    return example.copy(state=state, gold=gold)


def test_a_correct_action_scores_one():
    out = metric(cancel_request(1), pred(call("get_order", order_id="#W1")))
    assert out.score == 1.0 and out.feedback.startswith("Correct") and out.category is None


def test_exact_metric_compares_only_taus_keys():
    example = after_lookup(1)  # compare_args = ["order_id"]
    assert exact_metric(example, pred(call("cancel_order", order_id="#W1", reason="no longer needed"))) == 1.0
    assert exact_metric(example, pred(call("cancel_order", order_id="#W2"))) == 0.0
    assert exact_metric(example, pred(call("get_order", order_id="#W1"))) == 0.0


@pytest.fixture(scope="module")
def airline_lookup():
    """Airline train task 1, second gold action: read the right reservation from get_user_details."""
    point = iter_decision_points("airline", "train", task_ids=["1"])[1]
    return row_example(point_row(point))


def test_a_wrong_id_from_a_tool_output_is_wrong_retrieval_with_its_turn(airline_lookup):
    out = metric(airline_lookup, pred(call("get_reservation_details", reservation_id="MZDDS4")))
    assert out.score == 0.0 and out.category == "WRCO" and out.kind == "wrong_argument"
    assert '"MZDDS4"' in out.feedback and '"Q69X3R"' in out.feedback
    assert "get_user_details result at turn [2]" in out.feedback
    assert "The correct next action was `get_reservation_details" in out.feedback


def test_an_invented_value_is_a_misinterpretation(airline_lookup):
    out = metric(airline_lookup, pred(call("get_reservation_details", reservation_id="ABC123")))
    assert out.category == "CM" and "appears nowhere in the conversation" in out.feedback


def test_a_value_misread_from_the_user_points_at_the_users_message():
    example = cancel_request(1)
    example = with_messages(
        example,
        [Message(role="user", content="Cancel #W1, and please look up #W2 first.")],
        call("get_order", order_id="#W2"),
    )
    out = metric(example, pred(call("get_order", order_id="#W1")))
    assert out.category == "CM" and "the user's message at turn [0]" in out.feedback


def test_a_missing_argument_is_named():
    out = metric(cancel_request(3), pred(call("get_order")))
    assert "Argument `order_id` is missing" in out.feedback and '"#W3"' in out.feedback


def test_acting_before_the_lookup_is_a_policy_violation():
    out = metric(cancel_request(1), pred(call("cancel_order", order_id="#W1")))
    assert out.category == "DPV" and out.kind == "write_before_lookup"
    assert "before the required lookup `get_order`" in out.feedback


def test_talking_instead_of_acting_is_incomplete_fulfilment():
    out = metric(cancel_request(1), pred(say("I will cancel it.")))
    assert out.category == "IFU" and "next step is the tool call `get_order`" in out.feedback
    confirmed = metric(after_lookup(1), pred(say("Shall I cancel it?")))
    assert confirmed.category == "IFU" and "already confirmed" in confirmed.feedback


def test_another_lookup_when_the_change_is_due():
    out = metric(after_lookup(1), pred(call("get_order", order_id="#W9")))
    assert out.category == "IFU" and out.kind == "lookup_instead_of_change"


def test_repeating_an_earlier_call_is_named_with_its_turn():
    example = after_lookup(1)
    example = with_messages(example, example.state.messages[:3], call("cancel_order", order_id="#W1"))
    out = metric(example, pred(call("get_order", order_id="#W1")))
    assert out.kind == "repeated_call" and "from turn [1]" in out.feedback


def test_unknown_tools_and_early_stops():
    unknown = metric(cancel_request(1), pred(call("lookup_order", order_id="#W1")))
    assert (
        unknown.category == "CM"
        and "not an available tool" in unknown.feedback
        and "get_order" in unknown.feedback
    )
    stop = metric(cancel_request(1), pred(call("done")))
    assert stop.category == "IFU" and stop.kind == "ended_early"


def test_not_stopping_when_the_task_is_finished_is_its_own_error():
    example = after_lookup(1)
    done = ToolSpec(name="done", description="Call this when the task is complete.", writes=False)
    state = example.state.model_copy(update={"tools": [*example.state.tools, done]})
    finished = example.copy(state=state, gold=call("done"), compare_args=None)
    for action in (call("cancel_order", order_id="#W1"), call("get_order", order_id="#W1"), say("Done!")):
        out = metric(finished, pred(action))
        assert out.kind == "did_not_stop" and out.category == "CM" and "call `done` to end" in out.feedback
    assert metric(finished, pred(call("done"))).kind == "correct"


def test_unusable_output_and_name_credit():
    out = metric(cancel_request(1), pred(say("fallback"), fallback=True))
    assert out.kind == "unusable_output" and out.score == 0.0
    partial = DecisionFeedbackMetric(name_credit=0.25)(
        cancel_request(1), pred(call("get_order", order_id="#W2"))
    )
    assert partial.score == 0.25
    with pytest.raises(ValueError):
        DecisionFeedbackMetric(name_credit=1.0)


def test_predictor_feedback_keeps_the_score_and_adds_a_role_note(airline_lookup):
    wrong = pred(call("get_reservation_details", reservation_id="MZDDS4"))
    plain = metric(airline_lookup, wrong)
    for name, phrase in [
        ("tor.reformat", "exact values"),
        ("tsa.suggest", "`get_reservation_details` first"),
        ("pln.plan", "next step should have been"),
        ("dce.extract", "checklist"),
        ("ver.verify", "should FAIL"),
    ]:
        out = metric(airline_lookup, wrong, None, name, [])
        assert out.score == plain.score and out.feedback.startswith(plain.feedback) and phrase in out.feedback
    assert metric(airline_lookup, wrong, None, "agent.decide", []).feedback == plain.feedback


def test_the_metric_has_geps_signature_and_reads_plain_dict_examples():
    inspect.signature(metric).bind(None, None, None, None, None)
    example = cancel_request(2)
    as_dict = {
        "state": json.loads(example.state.model_dump_json()),
        "gold": example.gold.model_dump(),
        "compare_args": None,
    }
    assert diagnose(call("get_order", order_id="#W2"), as_dict).score == 1.0
    assert diagnose(None, as_dict).kind == "unusable_output"


def test_the_tool_call_in_the_last_assistant_turn_is_visible_as_a_location():
    example = after_lookup(4)
    messages = [
        *example.state.messages,
        Message(role="assistant", tool_calls=[ToolCall(name="get_order", arguments={"order_id": "#W5"})]),
    ]
    example = with_messages(example, messages, call("cancel_order", order_id="#W5"))
    out = metric(example, pred(call("cancel_order", order_id="#W4")))
    assert "your own earlier call at turn [5]" in out.feedback
