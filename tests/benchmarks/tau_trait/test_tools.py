"""Tool specs from τ-trait's ``get_info()``, the ``writes`` rule, and tool execution by name."""

from __future__ import annotations

import jsonschema
import pytest
from fama_dspy.signatures.action import AgentAction

from fama_dspy.benchmarks.tau_trait.data import DOMAINS, load_domain
from fama_dspy.benchmarks.tau_trait.environment import TauTraitEnvironment
from fama_dspy.benchmarks.tau_trait.reward import data_hash
from fama_dspy.benchmarks.tau_trait.tools import WRITE_TOOLS, tool_specs
from fama_dspy.conversation import ToolCall
from fama_dspy.validation import validate_action

READ_PREFIXES = (
    "get_",
    "find_",
    "list_",
    "search_",
    "check_",
    "calculate",
    "think",
    "transfer_",
    "troubleshoot_",
)


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_tool_has_a_valid_closed_json_schema(domain):
    loaded = load_domain(domain)
    specs = tool_specs(loaded)
    assert [s.name for s in specs] == list(loaded.tools)
    for spec in specs:
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.parameters["type"] == "object" and spec.description
        if spec.parameters["properties"]:
            assert spec.parameters["additionalProperties"] is False


@pytest.mark.parametrize("domain", DOMAINS)
def test_writes_follows_the_naming_convention_and_names_real_tools(domain):
    specs = tool_specs(load_domain(domain))
    assert WRITE_TOOLS[domain] <= {s.name for s in specs}
    for spec in specs:
        assert spec.writes is (not spec.name.startswith(READ_PREFIXES)), spec.name


@pytest.mark.parametrize("domain", ["telehealth", "telecom"])
def test_read_tools_never_change_the_data_and_write_tools_do(domain):
    """Every gold call of every task, run on the state the gold replay reaches before it."""
    loaded = load_domain(domain)
    writes = {s.name for s in tool_specs(loaded) if s.writes}
    called, changed = set(), set()
    for task in loaded.tasks:
        env = TauTraitEnvironment(loaded)
        for action in task.actions:
            before = data_hash(env.data)
            env.execute(ToolCall(name=action.name, arguments=action.kwargs))
            called.add(action.name)
            if data_hash(env.data) != before:
                changed.add(action.name)
    assert changed <= writes, changed - writes
    assert changed == writes & called, (writes & called) - changed


@pytest.mark.parametrize("domain", ["telehealth", "telecom"])
def test_gold_calls_no_agent_can_make_fail_in_tau_trait_too(domain):
    """Gold replay and decision points skip gold calls that fail validation; τ-trait's own
    invoke fails on them as well and leaves the data unchanged."""
    loaded = load_domain(domain)
    specs = tool_specs(loaded)
    skipped = []
    for task in loaded.tasks:
        env = TauTraitEnvironment(loaded)
        for action in task.actions:
            gold = AgentAction(kind="tool_call", tool_name=action.name, arguments=action.kwargs)
            before = data_hash(env.data)
            result = env.execute(ToolCall(name=action.name, arguments=action.kwargs))
            if validate_action(gold, specs) is not None:
                skipped.append(action.name)
                assert result.error and data_hash(env.data) == before, (task.id, action.name, result.content)
    expected = {
        "telehealth": {"think", "list_available_providers"},
        "telecom": {"troubleshoot_device", "get_services", "check_network_status", "manage_devices"},
    }
    assert set(skipped) == expected[domain]


def test_tools_run_by_name_on_a_private_copy_of_the_data():
    loaded = load_domain("telehealth")
    env, other = TauTraitEnvironment(loaded), TauTraitEnvironment(loaded)
    found = env.execute(
        ToolCall(name="find_patient_by_email", arguments={"email": "david.martinez@email.com"})
    )
    assert (found.content, found.error) == ("david_martinez_5678", False)
    scheduled = next(k for k, a in loaded.initial_data["appointments"].items() if a["status"] == "scheduled")
    cancelled = env.execute(ToolCall(name="cancel_appointment", arguments={"appointment_id": scheduled}))
    assert cancelled.content.startswith("Appointment successfully cancelled.") and not cancelled.error
    assert env.data["appointments"][scheduled]["status"] == "cancelled"
    assert other.data["appointments"][scheduled]["status"] == "scheduled"
    assert loaded.fresh_data()["appointments"][scheduled]["status"] == "scheduled"
    assert [c.name for c in env.calls] == ["find_patient_by_email", "cancel_appointment"]


def test_failed_calls_read_as_in_tau_trait():
    env = TauTraitEnvironment(load_domain("telecom"))
    unknown = env.execute(ToolCall(name="manage_devices", arguments={}))
    assert (unknown.content, unknown.error) == ("Unknown action manage_devices", True)
    raised = env.execute(
        ToolCall(name="troubleshoot_device", arguments={"device_name": "iPhone 15", "issue": "x"})
    )
    assert raised.error and raised.content == "Error: 'x' is not a valid Issue"
    reported = env.execute(ToolCall(name="get_customer_details", arguments={"customer_id": "nobody"}))
    assert reported.error and reported.content == "Error: Customer not found: nobody"
