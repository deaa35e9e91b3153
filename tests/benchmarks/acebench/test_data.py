"""Loading ACEBench's agent tasks, the splits, and the tools as JSON Schema."""

from __future__ import annotations

import jsonschema
import pytest

from fama_dspy.benchmarks import get_benchmark
from fama_dspy.benchmarks.acebench.data import all_tasks, load_tasks, task_splits
from fama_dspy.benchmarks.acebench.gold import gold_calls
from fama_dspy.benchmarks.acebench.tools import STOP_TOOL, json_schema, task_tools
from fama_dspy.errors import ConfigError
from fama_dspy.tool_schemas import engine_schema

pytestmark = pytest.mark.usefixtures("acebench_root")
DOMAINS = ("multi-step", "multi-turn")


def test_both_domains_load_with_their_answers():
    steps, turns = all_tasks("multi-step"), all_tasks("multi-turn")
    assert (len(steps), len(turns)) == (20, 30)
    assert [t.id for t in steps[:2]] == ["agent_multi_step_0", "agent_multi_step_1"]
    assert all(t.solo for t in steps) and not any(t.solo for t in turns)
    assert sum("Travel" in t.involved_classes for t in turns) == 10
    for task in steps + turns:
        assert task.ground_truth and task.milestones and all(isinstance(m, list) for m in task.milestones)
    # Alternatives are kept as lists: multi-step 6 has two alternative milestone lists.
    assert len(next(t for t in steps if t.id == "agent_multi_step_6").milestones) == 2


def test_splits_are_even_and_odd_indices_and_base_is_all():
    splits = task_splits("multi-step")
    assert splits["train"][:2] == ["agent_multi_step_0", "agent_multi_step_2"]
    assert splits["test"][:2] == ["agent_multi_step_1", "agent_multi_step_3"]
    assert sorted(splits["train"] + splits["test"]) == sorted(splits["base"])
    assert len(task_splits("multi-turn")["test"]) == 15
    assert [t.id for t in load_tasks("multi-turn", "train", num_tasks=2)] == [
        "agent_multi_turn_0",
        "agent_multi_turn_2",
    ]
    assert [
        t.id for t in load_tasks("multi-step", task_ids=["agent_multi_step_3", "agent_multi_step_1"])
    ] == [
        "agent_multi_step_3",
        "agent_multi_step_1",
    ]


def test_unknown_domain_split_and_task_are_clear_errors():
    bench = get_benchmark("acebench")
    with pytest.raises(ConfigError, match="choose one of: multi-step, multi-turn"):
        bench.check_domain("agent")
    with pytest.raises(ConfigError, match="unknown split"):
        bench.task_ids("multi-step", "dev")
    with pytest.raises(ConfigError, match="not in ACEBench"):
        bench.task_ids("multi-step", "train", task_ids=["agent_multi_step_1"])
    with pytest.raises(ConfigError, match="no solo mode"):
        bench.task_ids("multi-turn", solo=True)


def test_acebench_type_names_become_json_schema():
    schema = json_schema(
        {
            "type": "dict",
            "required": ["items", "ghost"],
            "properties": {
                "items": {"type": "list", "items": {"type": "dict", "properties": {"n": {"type": "float"}}}},
                "flag": {"type": "boolean"},
                "anything": {"type": "any", "description": "free"},
            },
        }
    )
    assert schema["type"] == "object" and schema["required"] == ["items"]  # undeclared names dropped
    assert schema["properties"]["items"] == {
        "type": "array",
        "items": {"type": "object", "properties": {"n": {"type": "number"}}},
    }
    assert schema["properties"]["anything"] == {"description": "free"}
    assert "additionalProperties" not in schema


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_tool_is_valid_json_schema_and_engine_safe(domain):
    seen_types: set[str] = set()
    for task in all_tasks(domain):
        tools = task_tools(task.functions, task.solo)
        assert (tools[-1].name == STOP_TOOL) == task.solo
        for spec in tools:
            jsonschema.Draft202012Validator.check_schema(spec.parameters)
            jsonschema.Draft202012Validator.check_schema(engine_schema(spec.parameters))
            stack = [spec.parameters]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    if isinstance(node.get("type"), str):
                        seen_types.add(node["type"])
                    stack.extend(node.get("properties", {}).values())
                    stack.extend([node["items"]] if isinstance(node.get("items"), dict) else [])
    assert seen_types <= {"object", "string", "integer", "array", "number", "boolean"}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_gold_call_validates_against_its_tool(domain):
    for task in all_tasks(domain):
        specs = {s.name: s for s in task_tools(task.functions, task.solo)}
        for call in gold_calls(task):
            jsonschema.validate(call.arguments, specs[call.name].parameters)
            jsonschema.validate(call.arguments, engine_schema(specs[call.name].parameters))


def test_writes_are_marked_by_name():
    task = all_tasks("multi-turn")[20]
    writes = {s.name: s.writes for s in task_tools(task.functions, solo=False)}
    assert writes["reserve_flight"] and writes["modify_flight"] and not writes["get_flight_details"]


def test_policies_keep_acebenchs_rules_without_its_text_call_syntax(acebench_root):
    from fama_dspy.benchmarks.acebench.prompts import agent_policy

    travel = agent_policy(acebench_root, "multi-turn", ["Travel"])
    assert "As an airline agent" in travel and '"finish conversation"' in travel
    assert "Function Calls" not in travel and "strictly adhere to the above format" not in travel
    phone = agent_policy(acebench_root, "multi-turn", ["BaseApi", "MessageApi"])
    assert "login_device()" in phone and "Function Calls" not in phone
    assert "call `done`" in agent_policy(acebench_root, "multi-step", ["BaseApi"])
