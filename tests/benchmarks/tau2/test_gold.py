from fama_dspy.benchmarks.tau2.gold import REQUEST_MARKER, gold_plan, user_action_blocks
from fama_dspy.benchmarks.tau2.tasks import load_tasks


def _telecom_task_with_mixed_actions():
    for task in load_tasks("telecom"):
        requestors = [a.requestor for a in task.evaluation_criteria.actions]
        if "assistant" in requestors and "user" in requestors:
            return task
    raise AssertionError("no telecom task mixes agent and user actions")


def test_interactive_plan_asks_the_user_for_device_actions_in_gold_order():
    task = _telecom_task_with_mixed_actions()
    actions = task.evaluation_criteria.actions
    plan = gold_plan(task, solo=False)
    blocks = user_action_blocks(task)
    assert sum(len(b) for b in blocks) == sum(a.requestor == "user" for a in actions)
    requests = [a for a in plan if a.kind == "message" and REQUEST_MARKER in a.message]
    assert len(requests) == len(blocks)
    calls = [a.tool_name for a in plan if a.kind == "tool_call"]
    assert calls == [a.name for a in actions if a.requestor == "assistant"]
    assert plan[-1].kind == "message" and REQUEST_MARKER not in plan[-1].message


def test_solo_plan_calls_everything_itself_then_done():
    task = _telecom_task_with_mixed_actions()
    plan = gold_plan(task, solo=True)
    assert [a.tool_name for a in plan] == [a.name for a in task.evaluation_criteria.actions] + ["done"]


def test_final_message_quotes_communicate_info():
    task = next(t for t in load_tasks("retail") if t.evaluation_criteria.communicate_info)
    final = gold_plan(task)[-1].message.lower()
    assert all(info.lower() in final for info in task.evaluation_criteria.communicate_info)
