from scripted_lm import json_reply

from fama_dspy.specialists import ToolSuggester


def test_suggests_only_real_tools(scripted, state):
    engine = scripted(
        {
            "tsa": [
                json_reply(
                    tools=["lookup_everything", "cancel_order", "get_order"],
                    why="The order is pending, so it can be cancelled.",
                )
            ]
        }
    )
    pred = ToolSuggester()(state=state)
    assert pred.tools == ["cancel_order", "get_order"]
    assert pred.section == (
        "## Suggested tools (TSA)\n- cancel_order\n- get_order\n"
        "Why: The order is pending, so it can be cancelled."
    )
    assert "cancel_order(order_id: string*, reason: string)" in engine.calls[0].prompt


def test_no_real_tool_means_no_section(scripted, state):
    scripted({"tsa": [json_reply(tools=["refund_everything"], why="because")]})
    pred = ToolSuggester()(state=state)
    assert pred.tools == [] and pred.section == "" and pred.why == ""


def test_at_most_max_tools(scripted, state):
    scripted({"tsa": [json_reply(tools=["get_order", "cancel_order", "done"], why="w")]})
    assert ToolSuggester(max_tools=1)(state=state).tools == ["get_order"]
