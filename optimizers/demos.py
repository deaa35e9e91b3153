"""Labeled demonstrations from gold decisions: the ``demos`` optimizer of ``fama compile``.

A small model learns an output habit from examples far more readily than from instructions
(measured on the embedded 1.5B model, first 16 airline train decision points: exact 1/16 with
constrained decoding alone, 5/16 with three demonstrations taken from other tasks' gold
decisions). Every train decision point is labeled with its gold action, so demonstrations need
no bootstrapping and no stronger model.

Demos are *compact*: the policy and tool list are the same for every point of a domain, so a demo
carries only the tail of the conversation that matters, a one-line reasoning and the gold action
(DSPy renders a demo with missing inputs as a partial example). Candidate sets of ``k`` demos are
drawn with a seeded random search over the tuning-train points (at most one demo per task, tools
varied) and scored on the tuning-validation points with the exact metric; the best set goes into
the tool-use agent's predictors. Deterministic for a seed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dspy
from fama_dspy.optimizers.evaluation import decision_scores
from fama_dspy.optimizers.metric import exact_metric
from fama_dspy.signatures.action import AgentAction, SoloToolCall

from fama_dspy.conversation import DecisionState, render_messages
from fama_dspy.demo_retrieval import MAX_POOL, DemoPool, PoolEntry, query_text
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent
from fama_dspy.specialists.base import clean_items, transcript

#: How much of a demo's conversation is kept: the last messages, long tool outputs cut short.
DEMO_TAIL_MESSAGES = 4
DEMO_TOOL_CHARS = 400


def demo_reasoning(gold: AgentAction, state: DecisionState) -> str:
    """A one-line thought that states why the gold action comes next, from the state alone."""
    last = state.messages[-1] if state.messages else None
    if last is not None and last.role == "tool":
        why = f"The {last.tool_name or 'tool'} result is in; the next step needs {gold.tool_name}."
    elif last is not None and last.role == "user":
        why = f"The customer's request needs {gold.tool_name} before I can answer."
    else:
        why = f"The ticket needs {gold.tool_name} next."
    return why + " I use only values from the conversation."


def compact_demo(example: dspy.Example) -> dict[str, Any]:
    """A demo for the tool-use agent's predictor: conversation tail, reasoning and gold action."""
    state: DecisionState = example.state
    tail = render_messages(state.messages[-DEMO_TAIL_MESSAGES:], max_tool_chars=DEMO_TOOL_CHARS)
    gold: AgentAction = example.gold
    demo: dict[str, Any] = {"conversation": tail, "reasoning": demo_reasoning(gold, state)}
    if state.solo:
        demo["ticket"] = state.ticket
        demo["call"] = SoloToolCall(tool_name=gold.tool_name, arguments=gold.arguments)
    else:
        demo["action"] = gold
    return demo


#: Words of a tool name that say nothing about which policy lines bind it.
_GENERIC_NAME_WORDS = frozenset(
    {"get", "details", "info", "list", "all", "by", "find", "search", "the", "of", "to"}
)
#: Policy lines a DCE demo quotes, and steps a PLN demo lists.
MAX_DEMO_RULES = 3
MAX_DEMO_STEPS = 6


def policy_lines_for(policy: str, tool_name: str, limit: int = MAX_DEMO_RULES) -> list[str]:
    """The policy lines that mention a tool or its distinctive words, best first (a DCE demo's rules).

    A line scores the rarity (inverse line frequency) of each word of the tool's name it contains
    as a word start ("cancel" matches "cancelled", not "uncancel"), and wins outright when it names
    the tool itself; so ``cancel_reservation`` prefers lines about cancelling over the many lines
    that say "reservation". Headings, list openers ("…the following:") and fragments bind
    nothing and are skipped; file order breaks ties. No distinctive word → no rules.
    """
    words = [w for w in tool_name.lower().split("_") if w and w not in _GENERIC_NAME_WORDS]
    lines = [" ".join(raw.strip().lstrip("#-*>").split()) for raw in policy.splitlines()]
    lines = [line for line in lines if len(line) >= 20 and not line.endswith(":")]
    if not words or not lines:
        return []
    patterns = {w: re.compile(rf"\b{re.escape(w)}", re.IGNORECASE) for w in words}
    frequency = {w: sum(bool(p.search(line)) for line in lines) for w, p in patterns.items()}
    rarity = {w: math.log(1 + len(lines) / max(frequency[w], 1)) for w in words}
    scored = []
    for order, line in enumerate(lines):
        score = sum(rarity[w] for w, p in patterns.items() if p.search(line))
        if tool_name.lower() in line.lower():
            score += 100.0
        if score > 0:
            scored.append((-score, order, line))
    return clean_items([line for _, _, line in sorted(scored)], limit)


def _specialist_tail(state: DecisionState) -> str:
    """The conversation tail a specialist demo shows, rendered as the specialists see a conversation."""
    tail = state.model_copy(update={"messages": state.messages[-DEMO_TAIL_MESSAGES:]})
    return transcript(tail, max_tool_chars=DEMO_TOOL_CHARS)


def _step(gold: AgentAction) -> str:
    return f"call {gold.tool_name}" if gold.kind == "tool_call" else "reply to the customer"


def remaining_steps(example: dspy.Example, task_points: Sequence[dspy.Example]) -> list[str]:
    """The gold steps from this decision to the end of its task, in order (a PLN demo's plan)."""
    mine = [
        e
        for e in task_points
        if e.domain == example.domain and e.task_id == example.task_id and e.index >= example.index
    ]
    if not any(e.point_id == example.point_id for e in mine):
        mine.append(example)
    steps = [_step(e.gold) for e in sorted(mine, key=lambda e: e.index)]
    return steps[:MAX_DEMO_STEPS]


def specialist_demos(
    example: dspy.Example, codes: Sequence[str], task_points: Sequence[dspy.Example] = ()
) -> dict[str, dict[str, Any]]:
    """Gold-derived demos for the LM specialists that have a gold target, by specialist code.

    TSA: the gold tool (nothing when the gold is a message); PLN: the remaining gold steps of the
    task (from ``task_points``, the labeled points of the same tasks); DCE: the policy lines that
    mention the gold tool (only for tool-call golds whose tool the policy names). As for the
    agent's demos, the policy and tool list are the same for every demo and are left out.
    """
    state: DecisionState = example.state
    gold: AgentAction = example.gold
    tail = _specialist_tail(state)
    out: dict[str, dict[str, Any]] = {}
    if "tsa" in codes:
        call = gold.kind == "tool_call"
        out["tsa"] = {
            "conversation": tail,
            "tools": [gold.tool_name] if call else [],
            "why": f"The next step needs {gold.tool_name}." if call else "The agent should reply now.",
        }
    if "pln" in codes:
        out["pln"] = {"conversation": tail, "steps": remaining_steps(example, task_points)}
    if "dce" in codes and gold.kind == "tool_call":
        rules = policy_lines_for(state.policy, gold.tool_name)
        if rules:
            out["dce"] = {"conversation": tail, "rules": rules}
    return out


#: The predictor of each specialist that gets the gold-derived demos.
_SPECIALIST_PREDICTORS = {"dce": "extract", "tsa": "suggest", "pln": "plan"}


def demo_tokens(demos: Sequence[dict[str, Any]]) -> int:
    """About how many prompt tokens the demos add to a decision (4 characters per token)."""
    return sum(len(str(v)) for demo in demos for v in demo.values()) // 4


@dataclass
class DemoSelection:
    program: FamaAgent
    k: int
    chosen: list[str]  # point ids of the chosen demos
    scores: list[dict[str, Any]] = field(default_factory=list)  # one per candidate set
    demo_tokens: int = 0

    def record(self) -> dict[str, Any]:
        return {
            "optimizer": "demos",
            "k": self.k,
            "chosen": self.chosen,
            "candidates": self.scores,
            "demo_tokens_per_decision": self.demo_tokens,
        }


def candidate_sets(pool: Sequence[dspy.Example], k: int, n_sets: int, seed: int) -> list[list[dspy.Example]]:
    """``n_sets`` distinct demo sets of ``k``: one point per task, different tools where possible."""
    rng = random.Random(seed)
    by_task: dict[str, list[dspy.Example]] = {}
    for e in pool:
        by_task.setdefault(f"{e.domain}/{e.task_id}", []).append(e)
    if len(by_task) < k:
        raise ConfigError(f"{k} demos need points from {k} tasks; the tuning-train split has {len(by_task)}.")
    sets: list[list[dspy.Example]] = []
    seen: set[tuple[str, ...]] = set()
    for _ in range(n_sets * 10):
        if len(sets) == n_sets:
            break
        tasks = rng.sample(sorted(by_task), k)
        chosen, tools = [], set()
        for task in tasks:
            options = [e for e in by_task[task] if e.gold.tool_name not in tools] or by_task[task]
            pick = rng.choice(options)
            chosen.append(pick)
            tools.add(pick.gold.tool_name)
        key = tuple(sorted(e.point_id for e in chosen))
        if key not in seen:
            seen.add(key)
            sets.append(chosen)
    return sets


def set_demos(
    agent: FamaAgent, examples: Sequence[dspy.Example], task_points: Sequence[dspy.Example] = ()
) -> list[dict[str, Any]]:
    """Give the tool-use agent's predictors these demos (interactive ones to ``decide``, solo ones to
    ``decide_solo``) and the active DCE, TSA and PLN their gold-derived demos of the same points.

    ``task_points``: the labeled points the PLN demos read each task's remaining gold steps from.
    Returns every demo set, for the token count.
    """
    interactive = [compact_demo(e) for e in examples if not e.state.solo]
    solo = [compact_demo(e) for e in examples if e.state.solo]
    agent.agent.decide.demos = [dspy.Example(**d) for d in interactive]
    if hasattr(agent.agent, "decide_solo"):
        agent.agent.decide_solo.demos = [dspy.Example(**d) for d in solo]
    given = [*interactive, *solo]
    codes = [c for c in _SPECIALIST_PREDICTORS if hasattr(agent, c)]
    per_code: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
    for example in examples:
        for code, demo in specialist_demos(example, codes, task_points or examples).items():
            per_code[code].append(demo)
    for code, demos in per_code.items():
        getattr(getattr(agent, code), _SPECIALIST_PREDICTORS[code]).demos = [dspy.Example(**d) for d in demos]
        given.extend(demos)
    return given


def labeled_demos(
    agent: FamaAgent, examples: Sequence[dspy.Example], *, k: int = 3, seed: int = 0
) -> DemoSelection:
    """DSPy's LabeledFewShot for decisions: one seeded set of ``k`` gold demos, no search, no LM call.

    What a run too small for a validation split can still compile (``fama demo``); ``select_demos``
    searches several sets when there are validation points. The input agent is unchanged.
    """
    if agent.base != "react":
        raise ConfigError("demos need the ReAct base: a native function-calling prompt has no slot for them.")
    demos = candidate_sets(examples, k, 1, seed)[0]
    program = agent.deepcopy()
    given = set_demos(program, demos, examples)
    return DemoSelection(
        program=program,
        k=k,
        chosen=[e.point_id for e in demos],
        demo_tokens=demo_tokens(given),
    )


def select_demos(
    agent: FamaAgent,
    trainset: Sequence[dspy.Example],
    valset: Sequence[dspy.Example],
    *,
    k: int = 3,
    n_sets: int = 6,
    seed: int = 0,
    metric: Callable = exact_metric,
    num_threads: int = 1,
    progress: Callable[[str], None] | None = None,
) -> DemoSelection:
    """Random search over demo sets from ``trainset``, scored on ``valset``; the input agent is unchanged."""
    if agent.base != "react":
        raise ConfigError("demos need the ReAct base: a native function-calling prompt has no slot for them.")
    if not valset:
        raise ConfigError("demo selection needs validation points to score candidate sets on.")
    sets = candidate_sets(trainset, k, n_sets, seed)
    scores, best, best_score = [], None, -1.0
    for i, demos in enumerate(sets):
        program = agent.deepcopy()
        given = set_demos(program, demos, trainset)
        values = decision_scores(program, valset, metric=metric, num_threads=num_threads)
        score = sum(values) / len(values)
        scores.append({"set": i, "points": [e.point_id for e in demos], "val_exact": score})
        if progress:
            progress(f"demo set {i + 1}/{len(sets)}: validation exact {score:.3f}")
        if score > best_score:  # ties keep the earlier set: deterministic for a seed
            best, best_score = (program, demos, given), score
    program, demos, given = best
    return DemoSelection(
        program=program,
        k=k,
        chosen=[e.point_id for e in demos],
        scores=scores,
        demo_tokens=demo_tokens(given),
    )


def pool_entry(example: dspy.Example) -> PoolEntry:
    demo = {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in compact_demo(example).items()}
    return PoolEntry(
        point_id=example.point_id, solo=example.state.solo, key=query_text(example.state), demo=demo
    )


def build_pool(
    examples: Sequence[dspy.Example], k: int = 3, max_size: int = MAX_POOL, seed: int = 0
) -> DemoPool:
    """The ``knn`` optimizer's pool: every labeled decision (a seeded sample when there are more than ``max_size``)."""
    chosen = list(examples)
    if len(chosen) > max_size:
        chosen = sorted(random.Random(seed).sample(chosen, max_size), key=lambda e: e.point_id)
    return DemoPool(k=k, entries=[pool_entry(e) for e in chosen])


def select_knn(
    agent: FamaAgent,
    trainset: Sequence[dspy.Example],
    valset: Sequence[dspy.Example],
    *,
    ks: Sequence[int] = (1, 2, 3),
    seed: int = 0,
    metric: Callable = exact_metric,
    num_threads: int = 1,
    progress: Callable[[str], None] | None = None,
) -> tuple[FamaAgent, list[dict[str, Any]]]:
    """A pool of the train decisions, with the number of neighbours chosen by validation score.

    The pool is built from ``trainset`` only, so a validation point never retrieves its own task's
    decisions. The returned program's pool then holds train and validation decisions (more
    neighbours for the held-out check and for use); the input agent is unchanged.
    """
    if agent.base != "react":
        raise ConfigError(
            "retrieved demos need the ReAct base: a native function-calling prompt has no slot for them."
        )
    if not valset:
        raise ConfigError("choosing k needs validation points to score on.")
    scores, best_k, best = [], ks[0], -1.0
    for k in ks:
        program = agent.deepcopy()
        program.agent.demo_pool = build_pool(trainset, k=k, seed=seed)
        values = decision_scores(program, valset, metric=metric, num_threads=num_threads)
        score = sum(values) / len(values)
        scores.append({"k": k, "val_exact": score})
        if progress:
            progress(f"knn k={k}: validation exact {score:.3f}")
        if score > best:
            best_k, best = k, score
    program = agent.deepcopy()
    program.agent.demo_pool = build_pool([*trainset, *valset], k=best_k, seed=seed)
    return program, scores
