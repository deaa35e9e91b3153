"""PNG figures: drawn when there is something to draw, skipped (None) when there is not."""

from __future__ import annotations

from fama_dspy.report.plots import plot_failure_categories, plot_overhead_vs_gain, plot_pass_k, slug


def _png(path) -> bool:
    return path is not None and path.read_bytes().startswith(b"\x89PNG")


def test_pass_k_curves_of_episodes_and_of_decision_trials(tmp_path):
    episodes = [
        {"config": "react", "pass_hat_k": {"1": 0.5}},
        {"config": "fama[react:mem]", "pass_hat_k": {}},
    ]
    assert _png(plot_pass_k(episodes, tmp_path / "e.png", "episodes"))
    two_trials = [{"config": "react", "exact_pass_hat_k": {"1": 0.4, "2": 0.2}}]
    assert _png(plot_pass_k(two_trials, tmp_path / "d.png", "decisions", field="exact_pass_hat_k"))
    # one trial per decision point: pass^1 is the accuracy already in the table, not a curve
    one_trial = [{"config": "react", "exact_pass_hat_k": {"1": 0.4}}]
    assert plot_pass_k(one_trial, tmp_path / "d1.png", "decisions", field="exact_pass_hat_k") is None
    assert not (tmp_path / "d1.png").exists()


def test_overhead_and_categories_need_data(tmp_path):
    usable = [{"config": "fama", "overhead": 0.3, "gain": 0.1, "low": -0.1, "high": 0.2}]
    assert _png(plot_overhead_vs_gain(usable, tmp_path / "o.png", "t", "Δ"))
    base_only = [{"config": "react", "overhead": None, "gain": None, "low": None, "high": None}]
    assert plot_overhead_vs_gain(base_only, tmp_path / "o2.png", "t", "Δ") is None
    assert _png(plot_failure_categories({"react": {"DPV": 2, "CM": 1}}, tmp_path / "c.png", "t"))
    assert plot_failure_categories({}, tmp_path / "c2.png", "t") is None
    assert slug("airline decisions (solo view)") == "airline-decisions-solo-view"
