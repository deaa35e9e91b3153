"""The project's own agent (FamaAgent, IRMA configuration) through the harness, on a scripted LM."""

import dspy
from scripted_lm import action_reply, json_reply, scripted_lm

from fama_dspy.benchmarks.tau2.runner import run_episodes
from fama_dspy.configs import build_agent


def test_irma_agent_solves_a_solo_mock_task_through_the_runner(out_dir):
    lm, engine = scripted_lm(
        {
            "dce": [json_reply(rules=["Create tasks only for existing users"])],
            "tsa": [json_reply(tools=["create_task"], why="the ticket asks for a new task")],
            "agent": [
                action_reply(
                    kind="tool_call",
                    tool_name="create_task",
                    arguments={"user_id": "user_1", "title": "Important Meeting"},
                ),
                action_reply(kind="tool_call", tool_name="done", arguments={}),
            ],
        }
    )
    with dspy.context(lm=lm):
        [r] = run_episodes(
            lambda: build_agent("irma"),
            domain="mock",
            task_ids=["create_task_1"],
            solo=True,
            out=out_dir,
            config_name="irma",
            progress=False,
        )
    assert r["error"] is None and r["reward"] == 1.0 and r["termination"] == "agent_stop"
    assert r["totals"]["decisions"] == 2 and r["totals"]["invalid_actions"] == 0
    assert r["totals"]["lm_calls"] == len(engine.calls) > 2
    assert r["totals"]["prompt_tokens"] > 0
    assert set(r["totals"]["specialists"]) >= {"dce", "tsa"}
