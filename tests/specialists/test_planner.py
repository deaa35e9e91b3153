from scripted_lm import json_reply

from fama_dspy.specialists import Planner


def test_steps_are_numbered(scripted, state):
    engine = scripted(
        {"pln": [json_reply(steps=["Confirm the cancellation", "Call cancel_order", "Tell the user"])]}
    )
    pred = Planner()(state=state)
    assert pred.section == (
        "## Plan of remaining steps (PLN)\n1. Confirm the cancellation\n"
        "2. Call cancel_order\n3. Tell the user"
    )
    prompt = engine.calls[0].prompt  # policy and tools open the system message (shared domain block)
    assert state.policy in prompt and "get_order(order_id: string*)" in prompt


def test_empty_plan_means_no_section(scripted, state):
    scripted({"pln": [json_reply(steps=[])]})
    assert Planner()(state=state).section == ""
