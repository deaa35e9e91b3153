"""Comparison rows: base pairing, Δ on shared units, overheads."""

import pytest

from fama_dspy.report.tables import (
    base_from_name,
    base_of,
    decision_rows,
    decision_table_cells,
    episode_rows,
    episode_table_cells,
    score_table_cells,
)
from report.synthetic import decision, episode


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("irma[fc]", "fc"),
        ("irma[react]", "react"),
        ("fama[react:dce+mem]", "react"),
        ("fama[fc:dce]", "fc"),
        ("fama-compiled[fc:tuned]", "fc"),
        ("fama-compiled[tuned]", None),
        ("fama[fcx:dce]", None),
        ("react", None),
        ("tau2-llm-agent", None),
    ],
)
def test_base_from_name(name, base):
    assert base_from_name(name) == base


def test_base_rule_precedence():
    records = [{"config": "fama-compiled[tuned]", "base": "fc"}]
    assert base_of("fama-compiled[tuned]", records) == "fc"  # the record says
    assert base_of("fama-compiled[tuned]", []) is None  # nothing says
    assert (
        base_of("fama-compiled[tuned]", records, {"fama-compiled[tuned]": "react"}) == "react"
    )  # mapping wins
    assert base_of("fama[react:dce]", [], {"fama[react:dce]": None}) is None  # mapped to no comparison
    assert base_of("react", [{"config": "react", "base": "fc"}]) is None  # a base agent is its own reference
    assert base_of("irma[fc]", []) == "fc"


def _rows_by_config(rows):
    return {r["config"]: r for r in rows}


def test_fama_on_fc_is_compared_with_fc_not_react():
    records = []
    for t in range(4):
        records += [
            episode("react", f"t{t}", 0, False),
            episode("fc", f"t{t}", 0, True),
            episode("fama[fc:dce+mem]", f"t{t}", 0, True),
            episode("irma[react]", f"t{t}", 0, t < 2),
        ]
    rows = _rows_by_config(episode_rows(records, resamples=2_000))
    assert rows["fama[fc:dce+mem]"]["base"] == "fc"
    assert rows["fama[fc:dce+mem]"]["delta_pass1"]["estimate"] == 0.0  # vs react it would be +1
    assert rows["irma[react]"]["base"] == "react"
    assert rows["irma[react]"]["delta_pass1"]["estimate"] == pytest.approx(0.5)
    assert rows["react"]["delta_pass1"] is None and rows["react"]["base"] is None


def test_delta_and_overhead_use_only_the_shared_tasks():
    records = [episode("react", f"t{t}", 0, t == 0) for t in range(2)]
    # FAMA also ran t2 and t3, which the base did not: they must not enter Δ or the overhead.
    records += [episode("fama[react:dce]", f"t{t}", 0, True, prompt_tokens=130) for t in range(2)]
    records += [episode("fama[react:dce]", f"t{t}", 0, False, prompt_tokens=1000) for t in (2, 3)]
    row = _rows_by_config(episode_rows(records, resamples=2_000))["fama[react:dce]"]
    assert row["tasks"] == 4 and row["paired_tasks"] == 2
    assert row["pass_hat_k"] == {1: 0.5}
    assert row["delta_pass1"]["estimate"] == pytest.approx(0.5)  # shared: t0 1-1, t1 1-0
    # per decision: (130 + 10) vs (100 + 10) tokens on the shared tasks
    assert row["overhead"]["tokens_per_decision"] == pytest.approx(140 / 110 - 1)
    assert row["overhead"]["tokens_per_episode"] == pytest.approx(140 / 110 - 1)
    assert row["overhead"]["seconds_per_decision"] == pytest.approx(0.0)
    assert row["per_decision"]["prompt_tokens"] == pytest.approx((130 * 4 + 1000 * 4) / 8)


def test_episode_row_counts_trials_terminations_and_errors():
    records = [
        episode("react", "t0", 0, True),
        episode("react", "t0", 1, False, termination="max_steps"),
        episode("react", "t1", 0, False, termination="error", error="JSONDecodeError: x", parse_failures=2),
        episode("react", "t1", 1, True),
    ]
    [row] = episode_rows(records, resamples=500)
    assert row["pass_hat_k"] == {1: 0.5, 2: 0.0}
    assert row["termination"] == {"agent_stop": 2, "max_steps": 1, "error": 1}
    assert row["errors"] == 1 and row["parse_failures"] == 2
    assert row["trials_min"] == row["trials_max"] == 2
    assert row["per_episode"]["tokens"] == pytest.approx(220)
    assert row["per_decision"]["lm_calls"] == pytest.approx(1.0)


def test_settings_are_never_mixed():
    records = [episode("react", "t0", 0, True), episode("fama[react:dce]", "t0", 0, False)]
    records += [episode("fama[react:dce]", "t0", 0, True, solo=False)]  # interactive: no react there
    rows = episode_rows(records, resamples=500)
    by_setting = {(r["setting"], r["config"]): r for r in rows}
    assert by_setting[("mock base solo", "fama[react:dce]")]["delta_pass1"]["estimate"] == -1.0
    interactive = by_setting[("mock base interactive/scripted", "fama[react:dce]")]
    assert interactive["delta_pass1"] is None and not interactive["base_present"]
    _header, cells = episode_table_cells([interactive])
    assert "(react not run)" in cells[0]


def test_decision_rows_pair_points_and_split_derivable():
    records = []
    for i in range(10):
        records.append(decision("react", f"mock/t{i}/0", name_ok=i < 6, exact_ok=i < 4, derivable=i % 2 == 0))
        records.append(
            decision(
                "fama[react:dce+mem]",
                f"mock/t{i}/0",
                name_ok=True,
                exact_ok=i < 8,
                derivable=i % 2 == 0,
                prompt_tokens=150,
            )
        )
    records.append(decision("fama[react:dce+mem]", "mock/t99/0", name_ok=False, exact_ok=False))  # unpaired
    rows = _rows_by_config(decision_rows(records, resamples=2_000))
    fama = rows["fama[react:dce+mem]"]
    assert fama["points"] == 11 and fama["paired_points"] == 10
    assert fama["delta_exact"]["estimate"] == pytest.approx(0.4)
    assert fama["delta_exact"]["excludes_zero"]
    assert fama["delta_name"]["estimate"] == pytest.approx(0.4)
    # derivable points: i = 0, 2, 4, 6, 8 → base exact 0, 2 (2/5); FAMA 0, 2, 4, 6 (4/5)
    assert fama["delta_exact_derivable"]["n"] == 5
    assert fama["delta_exact_derivable"]["estimate"] == pytest.approx(0.4)
    assert fama["overhead"]["tokens_per_decision"] == pytest.approx(160 / 110 - 1)
    assert rows["react"]["exact_accuracy"] == pytest.approx(0.4)
    header, cells = decision_table_cells(list(rows.values()))
    assert cells[0][header.index("Δexact vs base [95% CI]")] == "base"
    assert cells[1][header.index("Δexact vs base [95% CI]")].startswith("+40.0 pts [")


def test_decision_trials_give_exact_pass_k_and_a_per_point_paired_delta():
    # 4 points × 2 trials. react: p0 right twice, p1 once, p2/p3 never. fama: p0, p1, p2 right twice.
    react = {"p0": (True, True), "p1": (True, False), "p2": (False, False), "p3": (False, False)}
    fama = {"p0": (True, True), "p1": (True, True), "p2": (True, True), "p3": (False, False)}
    records = [
        decision(cfg, f"mock/t/{p}", name_ok=True, exact_ok=ok, trial=t)
        for cfg, table in (("react", react), ("fama[react:mem]", fama))
        for p, flags in table.items()
        for t, ok in enumerate(flags)
    ]
    rows = _rows_by_config(decision_rows(records, resamples=2_000))
    base, meta = rows["react"], rows["fama[react:mem]"]
    assert base["points"] == 4 and base["answers"] == 8 and base["trials_min"] == base["trials_max"] == 2
    assert base["exact_accuracy"] == pytest.approx(3 / 8)
    # pass^2: C(2,2)/C(2,2) for p0 only → 1/4; pass^1 = mean per-point rate = (1 + .5) / 4
    assert base["exact_pass_hat_k"] == {1: pytest.approx(0.375), 2: pytest.approx(0.25)}
    assert meta["exact_pass_hat_k"] == {1: pytest.approx(0.75), 2: pytest.approx(0.75)}
    # Δ over points of (own rate − base rate): (0 + .5 + 1 + 0) / 4; resampling 4 points, not 8 answers
    assert meta["delta_exact"]["estimate"] == pytest.approx(0.375) and meta["delta_exact"]["n"] == 4
    assert base["exact_interval"]["n"] == 4
    header, cells = decision_table_cells([base, meta])
    assert cells[0][header.index("trials")] == "2"
    assert cells[0][header.index("exact pass^2")] == "0.250"
    assert cells[1][header.index("exact pass^2")] == "0.750"


def test_answers_from_dspys_cache_are_left_out_of_costs_but_not_of_outcomes():
    records = [
        decision("react", f"mock/t{i}/0", name_ok=True, exact_ok=i == 0, prompt_tokens=100) for i in range(2)
    ]
    # fama's second answer came from DSPy's cache: no tokens, no time. It counts for accuracy only.
    records.append(decision("fama[react:mem]", "mock/t0/0", name_ok=True, exact_ok=True, prompt_tokens=200))
    cached = decision(
        "fama[react:mem]", "mock/t1/0", name_ok=True, exact_ok=True, prompt_tokens=0, seconds=0.0
    )
    records.append({**cached, "cache_hits": 1, "usage": {"prompt_tokens": 0, "completion_tokens": 0}})
    rows = _rows_by_config(decision_rows(records, resamples=500))
    fama = rows["fama[react:mem]"]
    assert fama["exact_accuracy"] == 1.0 and fama["delta_exact"]["estimate"] == pytest.approx(0.5)
    assert fama["per_point"]["cached_answers"] == 1 and fama["per_point"]["prompt_tokens"] == 200
    # overhead on the shared points, cached answers left out on each side: 210 vs 110 tokens
    assert fama["overhead"]["tokens_per_decision"] == pytest.approx(210 / 110 - 1)
    header, cells = decision_table_cells(list(rows.values()))
    assert cells[1][header.index("cached")] == "1"


def test_cached_decisions_are_left_out_of_episode_costs():
    served = episode("react", "t0", 0, True, prompt_tokens=100)
    hit = episode("react", "t1", 0, True, prompt_tokens=100)
    hit["decisions"][1] = {
        **hit["decisions"][1],
        "cache_hits": 1,
        "latency_s": 0.0,
        "usage": {"prompt_tokens": 0, "completion_tokens": 0},
    }
    hit["totals"] = {**hit["totals"], "cache_hits": 1, "prompt_tokens": 100, "completion_tokens": 10}
    [row] = episode_rows([served, hit], resamples=500)
    assert row["per_decision"]["prompt_tokens"] == pytest.approx(100)  # 3 served decisions, all at 100
    assert row["per_decision"]["cached_decisions"] == 1
    assert row["per_episode"]["prompt_tokens"] == pytest.approx(200)  # only the episode without hits
    header, cells = episode_table_cells([row])
    assert cells[0][header.index("cached")] == "1"


def _scored(config, task, trial, end_to_end, process):
    breakdown = {"end_to_end": float(end_to_end), "process": process}
    return episode(config, task, trial, bool(end_to_end), reward_breakdown=breakdown)


def test_a_graded_reward_component_gets_its_mean_and_a_paired_delta_vs_the_base():
    records = [
        _scored("react", "t1", 0, 0, 0.5),
        _scored("react", "t1", 1, 0, 0.0),
        _scored("react", "t2", 0, 1, 1.0),
        _scored("fama[react:mem]", "t1", 0, 0, 1.0),
        _scored("fama[react:mem]", "t1", 1, 0, 0.5),
        _scored("fama[react:mem]", "t2", 0, 1, 1.0),
        _scored("fama[react:mem]", "t3", 0, 0, 0.2),  # the base did not run t3: not paired
        episode("fama[react:mem]", "t4", 0, False, error="boom", reward_breakdown={}),  # no score
    ]
    rows = _rows_by_config(episode_rows(records))
    # end_to_end is the reward itself: only process says more
    assert set(rows["react"]["scores"]) == {"process"} and rows["react"]["delta_scores"] == {}
    assert rows["react"]["scores"]["process"]["estimate"] == pytest.approx((0.25 + 1.0) / 2)
    fama = rows["fama[react:mem]"]
    assert fama["scores"]["process"]["estimate"] == pytest.approx((0.75 + 1.0 + 0.2) / 3)
    delta = fama["delta_scores"]["process"]
    assert delta["estimate"] == pytest.approx(((0.75 - 0.25) + 0.0) / 2) and delta["n"] == 2
    header, cells = score_table_cells(list(rows.values()))
    assert header == ["config", "base", "process", "Δprocess vs base [95% CI]"]
    assert cells[0][1:3] == ["-", "0.625"] and cells[1][2] == "0.650" and cells[1][3].startswith("+25.0 pts")


def test_components_equal_to_the_reward_add_no_table():
    records = [
        episode("react", "t1", 0, True, reward_breakdown={"DB": 1.0}),
        episode("react", "t2", 0, False, reward_breakdown={"DB": 0.0}),
    ]
    rows = episode_rows(records)
    assert rows[0]["scores"] == {} and score_table_cells(rows) is None
