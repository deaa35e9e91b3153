"""The ``instructions`` optimizer: an Optuna study picks, per predictor, which instruction lines to inject.

A weak model is a poor author of its own prompts (GEPA with the 1.5B model reflecting on its
failures proposed instructions that copied a customer's request), but it can be *scored* on any
prompt. So the candidates are written ahead of time — a bank of mitigation lines per error category
(the specialists' spirit, as one-line rules) plus lines mined from the failure evidence of the
train points (``the gold was get_user_details where you wrote a message``) — and an Optuna study
(TPE, seeded, SQLite, resumable) chooses for every tuned predictor which lines to append to its
instructions, scored by exact accuracy on train validation points. The chosen lines are the tuned
instructions; nothing is written by the model.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dspy
import optuna
from fama_dspy.optimizers.activation import storage_url
from fama_dspy.optimizers.evaluation import decision_scores
from fama_dspy.optimizers.metric import exact_metric

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

#: Mitigation lines per error category, for the tool-use agent's predictors.
AGENT_BANK: dict[str, list[str]] = {
    "IFU": [
        "If a listed tool can look up what the customer's request needs, call it now instead of replying.",
        "Never answer that you cannot help while a listed tool fits the request: call that tool.",
        "Finish every part of the customer's request before ending; one lookup is rarely the last step.",
    ],
    "CM": [
        "Use only ids and values that appear in the conversation or in a tool result; look up or ask for any other.",
        "Choose the tool whose name and description match the step the customer asked for.",
        "Do not repeat a tool call that already returned a result; use that result.",
    ],
    "DPV": [
        "Before any change, authenticate the customer and get an explicit yes to the exact change.",
        "Check the policy rules for this kind of request before you act.",
    ],
    "WRCO": [
        "Copy values exactly as they appear in the latest tool result (ids, prices, dates, codes).",
    ],
}
#: Lines for the specialists' predictors (one list each, keyed by the predictor's name prefix).
SPECIALIST_BANK: dict[str, list[str]] = {
    "dce": ["List only rules that decide the very next action.", "Quote the policy's own words."],
    "tsa": ["Name the lookup tool first when facts are still missing."],
    "pln": ["Start with the step that gathers missing facts; end with confirming and acting."],
    "tor": ["Keep ids, amounts and statuses exactly as written."],
    "ver": ["FAIL a state-changing call whose ids were not returned by a lookup."],
}
MAX_MINED = 4
#: How many train points the untuned agent answers to mine lines from.
MINE_POINTS = 20


def mined_lines(examples: Sequence[dspy.Example], records: Sequence[dict[str, Any]] | None) -> list[str]:
    """Rules from the train failures: the gold tool the model skipped most often, in one line each."""
    if not records:
        return []
    gold = {e.point_id: e.gold for e in examples}
    skipped: Counter[str] = Counter()
    for r in records:
        g = gold.get(r.get("point_id"))
        action = r.get("action") or {}
        if (
            g is not None
            and not r.get("exact_ok")
            and action.get("kind") == "message"
            and g.kind == "tool_call"
        ):
            skipped[g.tool_name] += 1
    return [
        f"When the next step needs what `{tool}` returns, call `{tool}` instead of writing a message."
        for tool, _ in skipped.most_common(MAX_MINED)
    ]


def candidate_lines(
    agent: FamaAgent, categories: Sequence[str], mined: Sequence[str]
) -> dict[str, list[str]]:
    """Predictor name → the lines the study may inject into it."""
    agent_lines = [line for c in categories for line in AGENT_BANK.get(c, [])] + list(mined)
    out: dict[str, list[str]] = {}
    for name, _ in agent.named_predictors():
        if name.startswith("agent."):
            out[name] = list(dict.fromkeys(agent_lines))
        else:
            lines = SPECIALIST_BANK.get(name.split(".")[0], [])
            if lines:
                out[name] = list(lines)
    return {k: v for k, v in out.items() if v}


def apply_lines(agent: FamaAgent, chosen: dict[str, list[str]]) -> FamaAgent:
    """A copy of ``agent`` whose predictors' instructions end with the chosen lines."""
    program = agent.deepcopy()
    predictors = dict(program.named_predictors())
    for name, lines in chosen.items():
        if lines:
            predictor = predictors[name]
            extra = "\n".join(f"- {line}" for line in lines)
            predictor.signature = predictor.signature.with_instructions(
                f"{predictor.signature.instructions}\n{extra}"
            )
    return program


def _param(name: str, i: int) -> str:
    return f"{name}#{i}"


def chosen_from_params(params: dict[str, Any], lines: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        name: [line for i, line in enumerate(options) if params.get(_param(name, i))]
        for name, options in lines.items()
    }


def _study_name(lines: dict[str, list[str]], points: Sequence[str], base: str) -> str:
    digest = hashlib.sha256(json.dumps([lines, sorted(points)], sort_keys=True).encode()).hexdigest()[:10]
    return f"{base}-{digest}"


def tune_instruction_lines(
    agent: FamaAgent,
    valset: Sequence[dspy.Example],
    lines: dict[str, list[str]],
    *,
    storage: Path | str,
    n_trials: int = 12,
    seed: int = 0,
    metric: Callable = exact_metric,
    num_threads: int = 1,
    study_name: str = "instructions",
) -> tuple[FamaAgent, dict[str, Any]]:
    """Run (or resume) the study until ``n_trials`` trials are complete; return the best program.

    Trial 0 is the untuned program (no line), so the best is never worse than it on ``valset``.
    The study's name carries a digest of the candidate lines and points: a changed bank or data
    starts a new study instead of mixing results.
    """
    if not lines:
        raise ConfigError("no candidate instruction lines for this agent's predictors")
    if not valset:
        raise ConfigError("the instruction study needs validation points to score trials on")
    name = _study_name(lines, [e.point_id for e in valset], study_name)
    if "://" not in str(storage):
        Path(str(storage)).parent.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=name,
        storage=storage_url(storage),
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=4),
    )
    if not study.trials:
        study.enqueue_trial(
            {_param(n, i): False for n, options in lines.items() for i in range(len(options))}
        )

    def objective(trial: optuna.Trial) -> float:
        params = {
            _param(n, i): trial.suggest_categorical(_param(n, i), [False, True])
            for n, options in lines.items()
            for i in range(len(options))
        }
        program = apply_lines(agent, chosen_from_params(params, lines))
        values = decision_scores(program, valset, metric=metric, num_threads=num_threads)
        return sum(values) / len(values)

    done = sum(1 for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE)
    # A trial interrupted mid-run stays RUNNING in the storage; it is not counted and is run again.
    if done < n_trials:
        study.optimize(objective, n_trials=n_trials - done, catch=())
    best = study.best_trial
    chosen = chosen_from_params(best.params, lines)
    record = {
        "optimizer": "instructions",
        "study": name,
        "trials": len(study.trials),
        "best_trial": best.number,
        "val_exact": best.value,
        "chosen_lines": chosen,
        "candidates": {n: len(v) for n, v in lines.items()},
    }
    return apply_lines(agent, chosen), record


def mine_from_answers(agent: FamaAgent, examples: Sequence[dspy.Example], num_threads: int = 1) -> list[str]:
    """Mined lines from the untuned agent's own answers on (up to ``MINE_POINTS``) train points."""
    from fama_dspy.optimizers.metric import exact_metric as metric

    sample = list(examples)[:MINE_POINTS]
    records = []
    for example in sample:
        pred = agent(**example.inputs())
        records.append(
            {
                "point_id": example.point_id,
                "exact_ok": bool(metric(example, pred)),
                "action": pred.action.model_dump(),
            }
        )
    return mined_lines(sample, records)
