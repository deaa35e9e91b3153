"""FAMA's orchestrated run: selected specialists inject context before every tool-use decision."""

from __future__ import annotations

import dspy

from fama_dspy.adapters import JSONModeAdapter
from fama_dspy.agent import ToolUseAgent
from fama_dspy.conversation import DecisionState
from fama_dspy.decoding import DEFAULT_DECODING, DEFAULT_ID_POLICY, check_decoding, check_id_policy
from fama_dspy.demo_retrieval import DemoPool
from fama_dspy.errors import ConfigError
from fama_dspy.lm_calls import record_lm_calls, served_calls, total_usage
from fama_dspy.parallel import map_in_context
from fama_dspy.specialists import SPECIALISTS, TUNABLES, normalize_codes

REVISION_FEEDBACK = "Your proposed action `{action}` was rejected by a check: {reason}\nDecide again."
#: Version of the "fama_program" block a saved agent carries (``fama_dspy.optimizers.program``).
PROGRAM_SCHEMA_VERSION = 1
#: Per-turn gates of a context specialist, read from the state before the decision (no LM call):
#: "always"; "user_turn": the last message is the user's (or nothing yet: the ticket or the first
#: request has just arrived); "tool_result": the last message is a tool result.
GATES = ("always", "user_turn", "tool_result")


def gate_open(gate: str, state: DecisionState) -> bool:
    """Whether a specialist with this gate runs before the decision on ``state``."""
    if gate == "always":
        return True
    last = state.messages[-1] if state.messages else None
    if gate == "user_turn":
        return last is None or last.role == "user"
    if gate == "tool_result":
        return last is not None and last.role == "tool"
    raise ConfigError(f"Unknown gate {gate!r}; valid gates: {', '.join(GATES)}.")


def check_gates(gates: dict | None, specialists) -> dict[str, str]:
    """Gates keyed by specialist code, validated; "always" entries are dropped (the default)."""
    out: dict[str, str] = {}
    for code, gate in (gates or {}).items():
        key = str(code).strip().lower()
        if key in SPECIALISTS and not SPECIALISTS[key].gateable:
            raise ConfigError(
                f"{key.upper()} has no gate"
                + (": it checks the proposed action itself." if SPECIALISTS[key].checks_action else ".")
            )
        if key not in specialists:
            raise ConfigError(
                f"Gate for {key!r}, which is not an active specialist ({', '.join(specialists) or 'none'})."
            )
        if gate not in GATES:
            raise ConfigError(f"Unknown gate {gate!r} for {key}; valid gates: {', '.join(GATES)}.")
        if gate != "always":
            out[key] = gate
    return out


class FamaAgent(dspy.Module):
    """A tool-use agent (``base``: "react" or "fc") plus the active specialists.

    Per decision: the context specialists (all active ones but the action checker, VER) run
    concurrently and their sections are joined, in registry order, into the agent's ``context``; the
    agent decides; if VER is active and applies to the action, it checks it, and on FAIL the agent
    decides once more with the reason as feedback (with ``verify_and_revise=False`` the verdict is
    only reported). The revised action is not re-checked: one revision bounds the cost. Which
    actions VER checks is its own ``applies_to``: state-changing tool calls and exact repeats of the
    last call.

    Which specialist is which (LM use, gating, action checking) and their settings (``memory_k``,
    ``tor_min_chars``: the tunables' names) come from the registry (``fama_dspy.specialists``).

    ``gates`` (code -> one of ``GATES``) skips a context specialist on turns where its gate is
    closed: a cheap per-turn activation rule that activation tuning may set. TOR also keeps its own
    rule (``tor_min_chars``).

    Each active specialist is an attribute named by its code (``self.dce``, ...), so predictor
    names read ``dce.extract``, ``agent.decide``, and so on. ``program_info`` (profile, tuning
    record, model spec) travels with the saved state in a versioned "fama_program" block.
    """

    @classmethod
    def from_profile(cls, profile, **kwargs) -> FamaAgent:
        """FAMA's static mode: the subset a failure profile recommends.

        ``profile``: a ``FailureProfile`` (``fama_dspy.analysis``), its JSON as a dict, or a path to
        it. Duck-typed on ``recommended`` so this module does not depend on the analysis layer.
        The profile is kept in ``program_info`` and saved with the program.
        """
        import json
        from collections.abc import Mapping
        from pathlib import Path

        if isinstance(profile, (str, Path)):
            profile = json.loads(Path(profile).read_text())
        data = dict(profile) if isinstance(profile, Mapping) else profile.model_dump(mode="json")
        if "recommended" not in data:
            raise ConfigError("the profile has no 'recommended' specialist subset")
        agent = cls(specialists=data["recommended"], **kwargs)
        agent.program_info = {**agent.program_info, "profile": data}
        return agent

    def __init__(
        self,
        base: str = "react",
        specialists=(),
        memory_k: int = 4,
        verify_and_revise: bool = True,
        follow_up_prompting: bool = False,
        adapter: dspy.Adapter | None = None,
        max_workers: int = 4,
        tor_min_chars: int = 400,
        gates: dict[str, str] | None = None,
        decoding: str = DEFAULT_DECODING,
        id_policy: str = DEFAULT_ID_POLICY,
    ):
        super().__init__()
        if max_workers < 1:
            raise ConfigError(f"max_workers must be at least 1, not {max_workers}.")
        self.base = base
        self.active_specialists = normalize_codes(specialists)
        self.gates = check_gates(gates, self.active_specialists)
        self.program_info: dict = {}
        self.verify_and_revise = verify_and_revise
        self.follow_up_prompting = follow_up_prompting
        self.max_workers = max_workers
        self.decoding = check_decoding(decoding)
        self.id_policy = check_id_policy(id_policy)
        self.agent = ToolUseAgent(
            mode=base,
            adapter=adapter,
            follow_up_prompting=follow_up_prompting,
            decoding=self.decoding,
            id_policy=self.id_policy,
        )
        # Specialists always use structured outputs; an fc base does not make them native-FC.
        specialist_adapter = (
            adapter if base == "react" and adapter is not None else JSONModeAdapter(self.decoding)
        )
        # The keywords above that a specialist takes, by their tunables' registry names (not
        # verify_and_revise: the orchestrator applies it, after the decision).
        tuned = {"memory_k": memory_k, "tor_min_chars": tor_min_chars}
        for code in self.active_specialists:
            cls = SPECIALISTS[code]
            kwargs = {t.arg: tuned[t.name] for t in cls.tunables if t.name in tuned}
            if cls.calls_lm:
                kwargs["adapter"] = specialist_adapter
            setattr(self, code, cls(**kwargs))

    @property
    def context_specialists(self) -> tuple[str, ...]:
        return tuple(c for c in self.active_specialists if not SPECIALISTS[c].checks_action)

    @property
    def action_checker(self) -> str | None:
        """The active specialist that checks the proposed action (VER), if any; the registry allows one."""
        return next((c for c in self.active_specialists if SPECIALISTS[c].checks_action), None)

    def forward(self, state: DecisionState) -> dspy.Prediction:
        with record_lm_calls() as calls, dspy.track_usage() as usage:
            results = self._run_context_specialists(state)
            sections = {code: r.section for code, r in results.items() if r.section}
            context = "\n\n".join(sections.values())
            decision = self.agent(state=state, context=context)
            action = decision.action
            parse_failures = decision.parse_failures
            text_tool_calls = decision.fc_text_tool_calls
            fallback = decision.fallback
            truncations, unseen_rejections = decision.truncations, decision.unseen_id_rejections
            verifier, revised = None, False
            checker = self.action_checker
            verifier_module = getattr(self, checker) if checker else None
            if (
                verifier_module is not None
                and not decision.fallback
                and verifier_module.applies_to(state, action)
            ):
                check = verifier_module(state=state, action=action)
                results[checker] = check
                if check.section:
                    sections[checker] = check.section
                verifier = {"verdict": check.verdict, "reason": check.reason} if check.verdict else None
                if check.verdict == "FAIL" and self.verify_and_revise:
                    feedback = REVISION_FEEDBACK.format(action=action.short(), reason=check.reason)
                    revision = self.agent(state=state, context=context, feedback=feedback)
                    action, revised = revision.action, True
                    parse_failures += revision.parse_failures
                    text_tool_calls += revision.fc_text_tool_calls
                    fallback = revision.fallback
                    truncations += revision.truncations
                    unseen_rejections += revision.unseen_id_rejections
        info = {
            "reasoning": decision.reasoning,
            "specialists_ran": list(sections),
            "specialists_gated": [
                c for c in self.context_specialists if not gate_open(self.gates.get(c, "always"), state)
            ],
            "sections": sections,
            "parse_failures": parse_failures,
            "specialist_parse_failures": {
                c: r.parse_failures for c, r in results.items() if r.get("parse_failures")
            },
            "fallback": fallback,
            "truncations": truncations,
            "unseen_id_rejections": unseen_rejections,
            "decoding": self.decoding,
            "id_policy": self.id_policy,
            "verifier": verifier,
            "revised": revised,
            "fc_text_tool_calls": text_tool_calls,
            "lm_calls": calls.calls,
            "served_calls": served_calls(usage),  # the rest were DSPy cache hits: no tokens, no time
            "usage": total_usage(usage),
        }
        return dspy.Prediction(action=action, info=info)

    def _run_context_specialists(self, state: DecisionState) -> dict[str, dspy.Prediction]:
        """Run the context specialists concurrently (the server batches parallel requests).

        DSPy settings live in a context variable, so each task runs in a copy of the caller's
        context: the threads see the caller's LM, adapter, callbacks and usage tracker.
        """
        codes = tuple(c for c in self.context_specialists if gate_open(self.gates.get(c, "always"), state))
        remote = [c for c in codes if SPECIALISTS[c].calls_lm]  # the others need no LM: run them inline.
        results: dict[str, dspy.Prediction] = {}
        workers = min(self.max_workers, len(remote))
        results.update(zip(remote, map_in_context(lambda c: getattr(self, c)(state=state), remote, workers)))
        results.update((c, getattr(self, c)(state=state)) for c in codes if c not in remote)
        return {c: results[c] for c in codes}

    # Numeric settings are not predictor state: save them with it (docs/design.md §6) so a tuned agent reloads whole.
    def dump_state(self, json_mode=True):
        program = {"schema_version": PROGRAM_SCHEMA_VERSION, **self.program_info}
        state = {**super().dump_state(json_mode=json_mode), "fama": self.settings(), "fama_program": program}
        if self.agent.demo_pool is not None:
            state["fama_demo_pool"] = self.agent.demo_pool.model_dump(mode="json")
        return state

    def load_state(self, state, *, allow_unsafe_lm_state=False):
        saved = state.get("fama")
        if saved is not None:
            mine = self.settings()
            for key in ("base", "specialists"):
                if saved.get(key) != mine[key]:
                    raise ConfigError(
                        f"Saved agent has {key}={saved.get(key)!r} but this one has {mine[key]!r}; "
                        "build the agent with the saved configuration first (configs.load_agent does)."
                    )
            self._apply_settings(saved)
        pool = state.get("fama_demo_pool")
        self.agent.demo_pool = DemoPool.model_validate(pool) if pool else None
        program = state.get("fama_program")
        if isinstance(program, dict):
            self.program_info = {k: v for k, v in program.items() if k != "schema_version"}
        return super().load_state(state, allow_unsafe_lm_state=allow_unsafe_lm_state)

    def settings(self) -> dict:
        """The construction settings that tuning may change, JSON-serialisable."""
        settings = {
            "base": self.base,
            "specialists": list(self.active_specialists),
            "verify_and_revise": self.verify_and_revise,
            "follow_up_prompting": self.follow_up_prompting,
            "max_workers": self.max_workers,
            "gates": dict(self.gates),
            "decoding": self.decoding,
            "id_policy": self.id_policy,
        }
        for code, t in self._specialist_tunables():
            settings[t.name] = getattr(getattr(self, code), t.arg)
        return settings

    def _specialist_tunables(self):
        """(code, tunable) of the active specialists' settings that live on the specialist itself."""
        return [(c, t) for c in self.active_specialists for t in TUNABLES.get(c, ()) if t.arg is not None]

    def _apply_settings(self, saved: dict) -> None:
        # Decoding is how answers are read, not what was tuned: a saved setting applies (a program
        # saved before these settings existed keeps the constructor's).
        if "decoding" in saved:
            self.decoding = self.agent.decoding = check_decoding(saved["decoding"])
            if isinstance(self.agent.adapter, JSONModeAdapter):
                self.agent.adapter.decoding = self.decoding
            for code in self.active_specialists:
                adapter = getattr(getattr(self, code), "adapter", None)
                if isinstance(adapter, JSONModeAdapter):
                    adapter.decoding = self.decoding
        if "id_policy" in saved:
            self.id_policy = self.agent.id_policy = check_id_policy(saved["id_policy"])
        self.verify_and_revise = saved.get("verify_and_revise", self.verify_and_revise)
        self.follow_up_prompting = saved.get("follow_up_prompting", self.follow_up_prompting)
        self.max_workers = saved.get("max_workers", self.max_workers)
        if "gates" in saved:
            self.gates = check_gates(saved["gates"], self.active_specialists)
        for code, t in self._specialist_tunables():
            if t.name in saved:
                setattr(getattr(self, code), t.arg, saved[t.name])
