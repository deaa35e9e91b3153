"""Judges, detector, primary selector and the analyzer, against a scripted LM (no network)."""

from __future__ import annotations

import json
import threading

import dspy
import pytest

from fama_dspy.analysis.diagnosis import CategoryVerdict
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.judges import (
    CategoryJudge,
    FailureAnalyzer,
    NonAgentFailureDetector,
    PrimaryErrorSelector,
)

from .judge_lm import judge_lm, verdict

TRAJECTORY = (
    "[0] user: cancel reservation ZFA04Y\n"
    '[1] assistant called get_reservation_details({"reservation_id": "ZFA04Y"})\n'
    '[2] tool result (get_reservation_details): {"cabin":"basic_economy"}\n'
    '[3] assistant called cancel_reservation({"reservation_id": "ZFA04Y"})'
)
GARBAGE = "I think it probably happened."


def _evidence(**kw) -> FailureEvidence:
    base = {
        "task_id": "5",
        "domain": "airline",
        "reward": 0.0,
        "db_mismatch": True,
        "condensed_trajectory": TRAJECTORY,
    }
    return FailureEvidence(**{**base, **kw})


def _kind(kind: str) -> str:
    return json.dumps({"rationale": "seen", "kind": kind})


def _primary(*codes: str) -> str:
    return json.dumps({"rationale": "root cause", "primary": list(codes)})


def _run(module, script, **kw):
    lm, engine = judge_lm(script)
    with dspy.context(lm=lm):
        return module(**kw), engine


# --- category judges -------------------------------------------------------------------------------


def test_judge_reports_an_error_with_clean_turns():
    out, engine = _run(
        CategoryJudge("DPV"),
        {"DPV": verdict(True, turns=[3, 1, 3, -2], rationale="Cancelled a\n basic economy ticket.")},
        policy_excerpt="No cancellation of basic economy.",
        trajectory=TRAJECTORY,
        evidence="reward: 0",
    )
    assert out == CategoryVerdict(
        occurred=True, rationale="Cancelled a basic economy ticket.", evidence_turns=[1, 3]
    )
    assert engine.roles() == ["DPV"]
    prompt = engine.prompt_of("DPV")
    assert (
        "No cancellation of basic economy." in prompt and "[3] assistant called cancel_reservation" in prompt
    )


def test_judge_reports_no_error_and_drops_turns_and_recovery():
    out, _ = _run(
        CategoryJudge("WRCO"),
        {"WRCO": verdict(False, turns=[2], recovered=True)},
        policy_excerpt="p",
        trajectory=TRAJECTORY,
        evidence="e",
    )
    assert (
        out.occurred is False
        and out.evidence_turns == []
        and out.recovered is False
        and out.source == "judge"
    )


def test_unparseable_judge_output_is_an_unknown_verdict():
    out, _ = _run(
        CategoryJudge("CM"), {"CM": GARBAGE}, policy_excerpt="p", trajectory=TRAJECTORY, evidence="e"
    )
    assert out.occurred is None and out.source == "parse_failure"
    assert out.rationale.startswith("unparseable judge output") and "\n" not in out.rationale


@pytest.mark.parametrize("category", ["DPV", "WRCO", "CM", "IFU"])
def test_each_category_has_its_own_instructions(category):
    _, engine = _run(
        CategoryJudge(category), {category: verdict(False)}, policy_excerpt="p", trajectory="t", evidence="e"
    )
    assert engine.roles() == [category]


def test_unknown_category_is_rejected():
    with pytest.raises(ValueError, match="Unknown error category"):
        CategoryJudge("XYZ")


# --- non-agent detector ----------------------------------------------------------------------------


def test_detector_rule_makes_no_lm_call():
    out, engine = _run(NonAgentFailureDetector(), {}, evidence=_evidence(user_in_role=False))
    assert (out.kind, out.source) == ("user_drift", "rule")
    assert engine.calls == []


@pytest.mark.parametrize("kind", ["none", "user_drift", "broken_task"])
def test_detector_asks_the_lm_otherwise(kind):
    out, engine = _run(
        NonAgentFailureDetector(), {"non_agent": _kind(kind)}, evidence=_evidence(user_in_role=True)
    )
    assert (out.kind, out.source) == (kind, "judge")
    assert engine.roles() == ["non_agent"]


def test_detector_parse_failure_keeps_the_episode_as_agent_caused():
    out, _ = _run(NonAgentFailureDetector(), {"non_agent": _kind("alien")}, evidence=_evidence())
    assert (out.kind, out.source) == ("none", "parse_failure")


def test_detector_user_drift_on_a_solo_episode_is_agent_caused():
    # A solo episode has no user: "user_drift" from the judge cannot be right; a broken task can.
    out, _ = _run(
        NonAgentFailureDetector(), {"non_agent": _kind("user_drift")}, evidence=_evidence(solo=True)
    )
    assert (out.kind, out.source) == ("none", "rule")
    assert "no user" in out.rationale
    out, _ = _run(
        NonAgentFailureDetector(), {"non_agent": _kind("broken_task")}, evidence=_evidence(solo=True)
    )
    assert (out.kind, out.source) == ("broken_task", "judge")
    assert "no user in this episode" in _evidence(solo=True).render()
    assert "no user in this episode" not in _evidence().render()


# --- primary error ---------------------------------------------------------------------------------


def _v(occurred, turns=(), recovered=False) -> CategoryVerdict:
    return CategoryVerdict(occurred=occurred, evidence_turns=list(turns), recovered=recovered)


def test_single_unrecovered_error_is_primary_without_lm():
    verdicts = {"DPV": _v(True, [3]), "WRCO": _v(False), "CM": _v(None), "IFU": _v(False)}
    out, engine = _run(PrimaryErrorSelector(), {}, verdicts=verdicts)
    assert (out.primary, out.source) == (["DPV"], "rule")
    assert engine.calls == []


def test_recovered_error_is_not_primary():
    # CM came first, but the agent fixed it; DPV is what cost the task.
    verdicts = {
        "DPV": _v(True, [7]),
        "WRCO": _v(False),
        "CM": _v(True, [1], recovered=True),
        "IFU": _v(False),
    }
    out, engine = _run(PrimaryErrorSelector(), {}, verdicts=verdicts)
    assert out.primary == ["DPV"] and engine.calls == []


def test_all_errors_recovered_means_no_primary():
    verdicts = {"DPV": _v(True, [1], recovered=True), "WRCO": _v(False), "CM": _v(False), "IFU": _v(False)}
    out, _ = _run(PrimaryErrorSelector(), {}, verdicts=verdicts)
    assert out.primary == [] and "recovered" in out.rationale


def test_lm_picks_among_several_candidates_and_sees_recovery():
    verdicts = {
        "DPV": _v(True, [7]),
        "WRCO": _v(True, [4]),
        "CM": _v(True, [1], recovered=True),
        "IFU": _v(False),
    }
    out, engine = _run(
        PrimaryErrorSelector(), {"primary": _primary("DPV")}, verdicts=verdicts, evidence="reward: 0"
    )
    assert (out.primary, out.source) == (["DPV"], "judge")
    prompt = engine.prompt_of("primary")
    assert "CM: turns 1; recovered: yes" in prompt and "WRCO: turns 4; recovered: no" in prompt
    assert "IFU:" not in prompt.split("[[ ## verdicts ## ]]")[-1]


def test_lm_answer_is_restricted_to_unrecovered_candidates():
    verdicts = {
        "DPV": _v(True, [7]),
        "WRCO": _v(True, [4]),
        "CM": _v(True, [1], recovered=True),
        "IFU": _v(False),
    }
    out, _ = _run(PrimaryErrorSelector(), {"primary": _primary("CM", "IFU", "DPV", "DPV")}, verdicts=verdicts)
    assert out.primary == ["DPV"]


@pytest.mark.parametrize("answer", [GARBAGE, _primary("CM")])
def test_unusable_lm_answer_falls_back_to_the_earliest_error(answer):
    verdicts = {
        "DPV": _v(True, [7]),
        "WRCO": _v(True, [4]),
        "CM": _v(True, [1], recovered=True),
        "IFU": _v(True),
    }
    out, _ = _run(PrimaryErrorSelector(), {"primary": answer}, verdicts=verdicts)
    assert (out.primary, out.source) == (["WRCO"], "parse_failure")


def test_rule_only_selector_ties_and_untimed_candidates():
    selector = PrimaryErrorSelector(use_lm=False)
    tied = {"DPV": _v(True, [4]), "WRCO": _v(True, [4]), "CM": _v(True), "IFU": _v(False)}
    untimed = {"DPV": _v(True), "WRCO": _v(False), "CM": _v(True), "IFU": _v(False)}
    assert _run(selector, {}, verdicts=tied)[0].primary == ["DPV", "WRCO"]
    assert _run(selector, {}, verdicts=untimed)[0].primary == ["DPV", "CM"]


# --- analyzer --------------------------------------------------------------------------------------

FULL_SCRIPT = {
    "DPV": verdict(True, [3]),
    "WRCO": verdict(False),
    "CM": verdict(True, [1], recovered=True),
    "IFU": verdict(False),
    "non_agent": _kind("none"),
    "primary": _primary("DPV"),
}


def test_analyzer_runs_judges_concurrently_with_the_callers_settings():
    lm, engine = judge_lm(FULL_SCRIPT)
    analyzer = FailureAnalyzer()
    # dspy.context (not configure): the worker threads only see the LM if the settings propagate.
    with dspy.context(lm=lm):
        d = analyzer(_evidence(), policy="Basic economy cannot be cancelled.")
    assert engine.roles() == ["CM", "DPV", "IFU", "WRCO", "non_agent"]
    assert all(thread != threading.current_thread().name for _, _, thread in engine.calls)
    assert d.primary == ["DPV"] and d.non_agent == "none" and d.agent_caused
    assert d.verdicts["CM"].recovered and d.verdicts["DPV"].evidence_turns == [3]
    assert list(d.verdicts) == ["DPV", "WRCO", "CM", "IFU"]
    assert d.parse_failures == 0 and d.judge_model == "scripted/judge"
    assert "Basic economy cannot be cancelled." in engine.prompt_of("DPV")


def test_analyzer_sequential_gives_the_same_diagnosis():
    lm, _ = judge_lm(FULL_SCRIPT)
    with dspy.context(lm=lm):
        parallel = FailureAnalyzer()(_evidence())
        sequential = FailureAnalyzer(max_workers=1)(_evidence())
    assert parallel == sequential


def test_analyzer_counts_parse_failures_and_never_crashes():
    script = {**FULL_SCRIPT, "IFU": GARBAGE, "non_agent": GARBAGE, "DPV": GARBAGE}
    lm, _ = judge_lm(script)
    with dspy.context(lm=lm):
        d = FailureAnalyzer(judge_model="qwen-judge")(_evidence())
    assert d.parse_failures == 3
    assert sorted(d.unknown_categories) == ["DPV", "IFU"]
    # CM was recovered and DPV is unknown: nothing is left to blame.
    assert d.primary == [] and d.non_agent == "none" and d.judge_model == "qwen-judge"


def test_successful_episode_is_not_judged():
    lm, engine = judge_lm({})
    with dspy.context(lm=lm):
        d = FailureAnalyzer()(_evidence(reward=1.0))
    assert not d.failed and not d.agent_caused and engine.calls == []


def test_user_drift_by_rule_skips_every_judge():
    lm, engine = judge_lm({})
    with dspy.context(lm=lm):
        d = FailureAnalyzer()({"task_id": 9, "reward": 0, "user_in_role": False})
    assert d.non_agent == "user_drift" and d.verdicts == {} and d.primary == []
    assert engine.calls == [] and d.shortcuts


def test_detected_broken_task_gets_no_primary_error():
    lm, engine = judge_lm({**FULL_SCRIPT, "non_agent": _kind("broken_task")})
    with dspy.context(lm=lm):
        d = FailureAnalyzer()(_evidence())
    assert d.non_agent == "broken_task" and d.primary == [] and not d.agent_caused
    assert "primary" not in engine.roles() and d.verdicts["DPV"].occurred


def test_wrco_rule_replaces_its_judge_when_no_tool_output_exists():
    lm, engine = judge_lm({**FULL_SCRIPT, "WRCO": verdict(True, [1])})
    with dspy.context(lm=lm):
        d = FailureAnalyzer(detect_non_agent=False)(
            _evidence(condensed_trajectory="[0] user: hi\n[1] assistant: bye")
        )
    assert "WRCO" not in engine.roles() and "non_agent" not in engine.roles()
    assert d.verdicts["WRCO"].source == "rule" and d.verdicts["WRCO"].occurred is False
    assert any(s.startswith("WRCO:") for s in d.shortcuts)


def test_several_unrecovered_errors_go_to_the_primary_selector():
    lm, engine = judge_lm({**FULL_SCRIPT, "IFU": verdict(True, [5]), "primary": _primary("IFU")})
    with dspy.context(lm=lm):
        d = FailureAnalyzer()(_evidence())
    assert d.primary == ["IFU"] and "primary" in engine.roles()
