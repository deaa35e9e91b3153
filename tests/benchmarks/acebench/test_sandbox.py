"""ACEBench's own sandbox classes, loaded from the checkout without leaving anything importable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fama_dspy.benchmarks.acebench.sandbox import (
    ERROR_PREFIX,
    make_sandbox,
    render_result,
    scenario_classes,
)
from fama_dspy.conversation import ToolCall

pytestmark = pytest.mark.usefixtures("acebench_root")
PHONE = ["BaseApi", "MessageApi", "ReminderApi", "FoodPlatform"]


def sandbox(root, config=None, classes=PHONE, domain="multi-step"):
    return make_sandbox(root, domain, classes, config or {"BaseApi": {"wifi": False, "logged_in": True}})


def test_loading_leaves_no_acebench_module_and_no_path(acebench_root):
    probe = (
        "import sys; before = list(sys.path)\n"
        "from fama_dspy.benchmarks.acebench.sandbox import scenario_classes\n"
        f"classes = scenario_classes({str(acebench_root)!r}, 'multi-turn')\n"
        "assert sorted(classes) == ['BaseApi', 'FoodPlatform', 'MessageApi', 'ReminderApi', 'Travel']\n"
        "assert issubclass(classes['MessageApi'], classes['BaseApi'])\n"
        "assert not [m for m in sys.modules if m.startswith(('model_inference', '_fama_acebench'))]\n"
        "assert sys.path == before\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_classes_start_as_acebench_initialises_them(acebench_root):
    box = sandbox(acebench_root, {"BaseApi": {"wifi": True, "logged_in": False}})
    # Every phone class got the BaseApi entry (its own _load_scenario reads wifi/logged_in).
    assert all(box.instances[c].wifi is True and box.instances[c].logged_in is False for c in PHONE)
    assert box.instances["MessageApi"].inbox[1]["sender_id"] == "USR100"


def test_a_call_runs_on_every_instance_that_has_the_method(acebench_root):
    box = sandbox(acebench_root)
    result = box.execute(ToolCall(name="turn_on_wifi", arguments={}))
    assert not result.error and result.content == "{'status': True, 'message': 'Wi-Fi has been turned on'}"
    assert all(box.instances[c].wifi for c in PHONE)
    assert (box.attempted, box.completed) == (1, 1)


def test_arguments_are_data_even_when_they_look_like_code(acebench_root, tmp_path):
    box = sandbox(acebench_root, {"BaseApi": {"wifi": True, "logged_in": True}})
    box.execute(ToolCall(name="delete_message", arguments={"message_id": 1}))
    payload = f"__import__('os').system('touch {tmp_path / 'pwned'}')"
    result = box.execute(
        ToolCall(
            name="send_message",
            arguments={"sender_name": "Eve", "receiver_name": "Frank", "message": payload},
        )
    )
    assert not result.error
    assert box.instances["MessageApi"].inbox[7]["message"] == payload
    assert not (tmp_path / "pwned").exists()


def test_errors_are_results_not_exceptions(acebench_root):
    box = sandbox(acebench_root)
    unknown = box.execute(
        ToolCall(name="search_reminders", arguments={"keyword": "x"})
    )  # listed, not implemented
    private = box.execute(ToolCall(name="_load_scenario", arguments={"scenario": {}}))
    extra = box.execute(ToolCall(name="turn_on_wifi", arguments={"now": True}))
    for result in (unknown, private, extra):
        assert result.error and result.content.startswith(ERROR_PREFIX)
    assert "unexpected keyword argument 'now'" in extra.content
    assert (box.attempted, box.completed) == (3, 0)


def test_results_render_as_acebench_shows_them(acebench_root):
    assert render_result({1: "a", "b": [1, 2]}) == "{'1': 'a', 'b': [1, 2]}"  # through JSON
    assert render_result([{"product": "Tea", "price": 2.0}]) == "[{'product': 'Tea', 'price': 2.0}]"
    assert render_result("Booking successful.") == "Booking successful."
    assert render_result(88.0) == "88.0" and render_result(True) == "True"
    box = sandbox(acebench_root, classes=["Travel"], domain="multi-turn", config={})
    text = box.execute(
        ToolCall(name="get_flight_details", arguments={"origin": "Beijing", "destination": "Shanghai"})
    )
    assert text.content.startswith("[{'flight_no': 'CA1234'")


def test_travel_and_phone_classes_are_loaded_per_domain(acebench_root):
    step, turn = (
        scenario_classes(str(acebench_root), "multi-step"),
        scenario_classes(str(acebench_root), "multi-turn"),
    )
    assert step["Travel"] is not turn["Travel"]
    assert scenario_classes(str(acebench_root), "multi-step") is step  # loaded once


def test_ids_in_results_shown_as_python_literals_count_as_seen():
    from fama_dspy.conversation import DecisionState, Message
    from fama_dspy.identifiers import seen_identifiers

    shown = render_result({"status": True, "message": "The latest message ID is 4", "message_id": 4})
    assert shown.startswith("{'status': True")  # not JSON: ACEBench shows Python's rendering
    state = DecisionState(
        policy="",
        tools=[],
        messages=[
            Message(role="assistant", tool_calls=[ToolCall(name="get_latest_message_id")]),
            Message(role="tool", tool_name="get_latest_message_id", content=shown),
        ],
    )
    assert seen_identifiers(state).contains(4, "message_id")
