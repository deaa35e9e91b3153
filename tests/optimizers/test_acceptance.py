import json

import dspy
import pytest
from fama_dspy.optimizers.acceptance import Comparison, check_acceptance
from fama_dspy.optimizers.evaluation import decision_scorer, solo_episode_scorer
from opt_helpers import GOOD_INSTRUCTION, MAGIC, cancel_request, policy_agent, rule_lm

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent


def fixed(scores_by_agent):
    return lambda agent: scores_by_agent[agent]


def test_kept_when_not_worse_on_either():
    report = check_acceptance(
        "old", "new", fixed({"old": [1, 0, 0, 1], "new": [1, 1, 0, 1]}), fixed({"old": [0, 1], "new": [0, 1]})
    )
    assert report.accepted
    assert report.decisions.as_dict() == {
        "name": "held-out decision points",
        "n": 4,
        "untuned": 0.5,
        "tuned": 0.75,
        "fixed": 1,
        "broken": 0,
    }
    assert json.loads(json.dumps(report.as_dict()))["episodes"]["tuned"] == 0.5


def test_rejected_when_worse_on_decisions_or_on_episodes():
    worse_points = check_acceptance("old", "new", fixed({"old": [1, 1], "new": [1, 0]}))
    assert not worse_points.accepted and "worse on held-out decision points" in worse_points.reasons[-2]
    worse_episodes = check_acceptance(
        "old", "new", fixed({"old": [0, 1], "new": [1, 1]}), fixed({"old": [1, 1], "new": [1, 0]})
    )
    assert not worse_episodes.accepted and worse_episodes.reasons[-1] == "rejected: worse on solo episodes"
    # Gains on points do not buy losses on episodes, but a tolerance absorbs small drops.
    assert check_acceptance(
        "old",
        "new",
        fixed({"old": [0, 1], "new": [1, 1]}),
        fixed({"old": [1, 1, 1, 1], "new": [1, 1, 1, 0]}),
        tolerance=0.25,
    ).accepted


def test_swaps_are_counted_even_when_the_means_tie():
    c = Comparison("points", [1, 0, 1], [0, 1, 1])
    assert (c.fixed, c.broken, c.not_worse(0.0)) == (1, 1, True)
    with pytest.raises(ConfigError, match="different items"):
        Comparison("points", [1], [1, 0])


def test_episodes_can_be_required_and_points_cannot_be_empty():
    report = check_acceptance("old", "new", fixed({"old": [0], "new": [1]}), require_episodes=True)
    assert not report.accepted and "required" in report.reasons[-1]
    assert (
        check_acceptance("old", "new", fixed({"old": [0], "new": [1]})).reasons[-1]
        == "solo episodes: not checked"
    )
    with pytest.raises(ConfigError, match="No held-out"):
        check_acceptance("old", "new", fixed({"old": [], "new": []}))


def solo_worker(role, system, text):
    """Solo agent for mock's create_task_1: creates the task only when its instructions carry MAGIC."""
    if "`call`" in system:
        if "called create_task" in text or MAGIC not in system:
            return json.dumps({"reasoning": "finished", "call": {"tool_name": "done", "arguments": {}}})
        return json.dumps(
            {
                "reasoning": "create it",
                "call": {
                    "tool_name": "create_task",
                    "arguments": {"title": "Important Meeting", "user_id": "user_1"},
                },
            }
        )
    return policy_agent(role, system, text)


def tuned(agent):
    tuned_agent = agent.deepcopy()
    for predictor in (tuned_agent.agent.decide, getattr(tuned_agent.agent, "decide_solo", None)):
        if predictor is not None:
            predictor.signature = predictor.signature.with_instructions(GOOD_INSTRUCTION)
    return tuned_agent


def test_real_scorers_on_points_and_solo_episodes(tmp_path):
    untuned = FamaAgent(specialists=["mem"])
    better = tuned(untuned)
    lm, _ = rule_lm(solo_worker)
    episodes = solo_episode_scorer(
        domain="mock", out=tmp_path / "episodes", name="check", task_ids=["create_task_1"]
    )
    with dspy.context(lm=lm):
        report = check_acceptance(
            untuned, better, decision_scorer([cancel_request(i) for i in range(3)]), episodes
        )
    assert report.accepted
    assert (report.decisions.mean_untuned, report.decisions.mean_tuned) == (0.0, 1.0)
    assert (report.episodes.untuned, report.episodes.tuned) == ([0.0], [1.0])
    # The other way round, the same evidence rejects.
    with dspy.context(lm=lm):
        assert not check_acceptance(better, untuned, decision_scorer([cancel_request(1)]), episodes).accepted
    # Each program's episodes are stored under its own digest and reused.
    records = (tmp_path / "episodes" / "episodes.jsonl").read_text().splitlines()
    assert len(records) == 2 and len({json.loads(r)["config"] for r in records}) == 2


def test_a_scorer_with_a_console_shows_each_point_and_scores_the_same(tmp_path):
    import io

    from rich.console import Console

    untuned = FamaAgent(specialists=["mem"])
    better = tuned(untuned)
    lm, _ = rule_lm(solo_worker)
    points = [cancel_request(i) for i in range(3)]
    out = io.StringIO()
    shown = decision_scorer(points, console=Console(file=out, width=120), label="held-out check")
    with dspy.context(lm=lm):
        assert shown(better) == decision_scorer(points)(better) == [1.0, 1.0, 1.0]
    text = out.getvalue()
    assert "held-out check" in text and "3/3" in text
