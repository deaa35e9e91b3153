"""τ²-bench harness: the only place in fama-dspy that imports ``tau2``.

- ``run_episodes``: agents (fama-dspy, τ²'s reference agent, gold replay) through τ²'s orchestrator
  and evaluator, one JSON line per episode, resumable;
- ``iter_decision_points`` / ``evaluate_decisions``: decision-level scoring on gold prefixes;
- ``summarize_groups`` / ``pass_hat_k`` / ``print_summaries``: results as plain data and tables.
"""

from fama_dspy.harness.tau2_logging import install_quiet_tau2_logging

install_quiet_tau2_logging()

from fama_dspy.harness.agent import FamaSoloTau2Agent, FamaTau2Agent, register_with_tau2
from fama_dspy.harness.builders import (
    fama_agent_builder,
    gold_agent_builder,
    llm_agent_builder,
    user_builder,
)
from fama_dspy.harness.decisions import (
    DecisionPoint,
    evaluate_decisions,
    iter_decision_points,
    load_decision_results,
    summarize_decisions,
)
from fama_dspy.harness.gold import GoldReplayAgent, ScriptedUser
from fama_dspy.harness.records import load_episodes
from fama_dspy.harness.runner import run_episodes
from fama_dspy.harness.summary import pass_hat_k, print_summaries, summarize, summarize_groups
from fama_dspy.harness.tasks import DOMAINS, load_tasks
from fama_dspy.harness.user import FamaUser, SimulatedUser
from fama_dspy.harness.user_role import user_in_role, user_role_issues

__all__ = [
    "DOMAINS",
    "DecisionPoint",
    "FamaSoloTau2Agent",
    "FamaTau2Agent",
    "FamaUser",
    "GoldReplayAgent",
    "ScriptedUser",
    "SimulatedUser",
    "evaluate_decisions",
    "fama_agent_builder",
    "gold_agent_builder",
    "iter_decision_points",
    "llm_agent_builder",
    "load_decision_results",
    "load_episodes",
    "load_tasks",
    "pass_hat_k",
    "print_summaries",
    "register_with_tau2",
    "run_episodes",
    "summarize",
    "summarize_decisions",
    "summarize_groups",
    "user_builder",
    "user_in_role",
    "user_role_issues",
]
