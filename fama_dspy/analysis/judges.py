"""Stage 1 judges as DSPy modules, and the analyzer that turns one failed episode into a diagnosis.

Every LM output is fail-soft: an unparseable answer becomes an *unknown* verdict and is counted
(small models fail silently otherwise, docs/design.md §8); connection errors still propagate, since they
mean the server is down, not that the judge disagreed. Rule shortcuts (``rules.py``) replace LM
calls where the benchmark's evidence is decisive.
"""

from __future__ import annotations

import json
from typing import Any

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

from fama_dspy.adapters import JSONModeAdapter
from fama_dspy.analysis.diagnosis import CategoryVerdict, FailureDiagnosis
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.policy_excerpt import policy_excerpt
from fama_dspy.analysis.rules import category_by_rule, non_agent_by_rule
from fama_dspy.analysis.taxonomy import CATEGORIES, NON_AGENT_KINDS
from fama_dspy.parallel import map_in_context
from fama_dspy.signatures.judges import CATEGORY_JUDGES, NonAgentFailure, PrimaryError

__all__ = [
    "CategoryJudge",
    "CategoryVerdict",
    "FailureAnalyzer",
    "FailureDiagnosis",
    "NonAgentFailureDetector",
    "NonAgentVerdict",
    "PrimaryErrorSelector",
    "PrimaryVerdict",
]

#: What a judge's bad output raises: caught and counted, never fatal.
PARSE_ERRORS = (AdapterParseError, pydantic.ValidationError, json.JSONDecodeError)
_MAX_ERROR_CHARS = 200


def _predict(adapter: dspy.Adapter, predictor: dspy.Predict, **inputs) -> tuple[dspy.Prediction | None, str]:
    try:
        with dspy.context(adapter=adapter):
            return predictor(**inputs), ""
    except PARSE_ERRORS as exc:
        return None, f"unparseable judge output ({type(exc).__name__}: {_text(exc)[:_MAX_ERROR_CHARS]})"


def _turns(value: Any) -> list[int]:
    """Non-negative, distinct, sorted turn numbers; anything else the model wrote is dropped."""
    out: set[int] = set()
    for item in value if isinstance(value, (list, tuple)) else []:
        try:
            turn = int(item)
        except (TypeError, ValueError):
            continue
        if turn >= 0:
            out.add(turn)
    return sorted(out)


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


class CategoryJudge(dspy.Module):
    """Did error ``category`` (DPV, WRCO, CM or IFU) happen in this episode?"""

    def __init__(self, category: str, adapter: dspy.Adapter | None = None):
        super().__init__()
        if category not in CATEGORY_JUDGES:
            raise ValueError(f"Unknown error category {category!r}; valid: {', '.join(CATEGORIES)}.")
        self.category = category
        self.adapter = adapter or JSONModeAdapter()
        self.judge = dspy.Predict(CATEGORY_JUDGES[category])

    def forward(self, policy_excerpt: str, trajectory: str, evidence: str) -> CategoryVerdict:
        pred, error = _predict(
            self.adapter, self.judge, policy_excerpt=policy_excerpt, trajectory=trajectory, evidence=evidence
        )
        if pred is None:
            return CategoryVerdict(occurred=None, rationale=error, source="parse_failure")
        occurred = bool(pred.occurred)
        return CategoryVerdict(
            occurred=occurred,
            rationale=_text(pred.rationale),
            evidence_turns=_turns(pred.evidence_turns) if occurred else [],
            recovered=occurred and bool(pred.recovered),
        )


class NonAgentVerdict(pydantic.BaseModel):
    kind: str = "none"
    rationale: str = ""
    source: str = "judge"


class NonAgentFailureDetector(dspy.Module):
    """Is the failure the user simulator's or the task's, not the agent's? Rules first, then an LM call.

    An unparseable answer counts as ``none`` (agent-caused): excluding an episode needs a positive
    finding, and the parse failure is reported.
    """

    def __init__(self, adapter: dspy.Adapter | None = None):
        super().__init__()
        self.adapter = adapter or JSONModeAdapter()
        self.detect = dspy.Predict(NonAgentFailure)

    def forward(self, evidence: FailureEvidence) -> NonAgentVerdict:
        ruled = non_agent_by_rule(evidence)
        if ruled is not None:
            return NonAgentVerdict(kind=ruled[0], rationale=ruled[1], source="rule")
        pred, error = _predict(
            self.adapter,
            self.detect,
            trajectory=evidence.condensed_trajectory or "(no transcript)",
            evidence=evidence.render(),
        )
        if pred is None or pred.kind not in NON_AGENT_KINDS:
            return NonAgentVerdict(
                kind="none", rationale=error or f"invalid kind {pred.kind!r}", source="parse_failure"
            )
        if evidence.solo and pred.kind == "user_drift":
            # Seen with the 1.5B judge on the first four failed solo ACEBench episodes: without this check each
            # would be set aside and the profile learn nothing.
            return NonAgentVerdict(
                kind="none",
                rationale=f"The judge answered user_drift for an episode with no user ({_text(pred.rationale)}).",
                source="rule",
            )
        return NonAgentVerdict(kind=pred.kind, rationale=_text(pred.rationale))


class PrimaryVerdict(pydantic.BaseModel):
    primary: list[str] = []
    rationale: str = ""
    source: str = "rule"


class PrimaryErrorSelector(dspy.Module):
    """The error(s) that caused the failure, among those that occurred and were not recovered from.

    No candidate → none; one candidate → it (no LM call). Several → the LM picks among them; its
    answer is restricted to the candidates. If that answer is unusable (or ``use_lm`` is False), the
    earliest candidate wins: one wrong decision cascades (docs/design.md §1), so the first unrecovered error
    is the likeliest root; candidates without turns come after, and if no candidate has turns all
    are primary.
    """

    def __init__(self, adapter: dspy.Adapter | None = None, use_lm: bool = True):
        super().__init__()
        self.adapter = adapter or JSONModeAdapter()
        self.use_lm = use_lm
        self.select = dspy.Predict(PrimaryError)

    def forward(self, verdicts: dict[str, CategoryVerdict], evidence: str = "") -> PrimaryVerdict:
        occurred = [c for c in CATEGORIES if c in verdicts and verdicts[c].occurred]
        candidates = [c for c in occurred if not verdicts[c].recovered]
        if not candidates:
            why = "The agent recovered from every error it made." if occurred else "No judge found an error."
            return PrimaryVerdict(primary=[], rationale=why)
        if len(candidates) == 1:
            return PrimaryVerdict(
                primary=candidates, rationale=f"{candidates[0]} is the only unrecovered error."
            )
        error = ""
        if self.use_lm:
            lines = [self._line(c, verdicts[c]) for c in occurred]
            pred, error = _predict(self.adapter, self.select, verdicts="\n".join(lines), evidence=evidence)
            if pred is not None:
                picked = [c for c in dict.fromkeys(pred.primary or []) if c in candidates]
                if picked:
                    return PrimaryVerdict(primary=picked, rationale=_text(pred.rationale), source="judge")
                error = f"the selector named no unrecovered error ({list(pred.primary or [])})"
        earliest = self._earliest(candidates, verdicts)
        rationale = f"Earliest unrecovered error: {', '.join(earliest)}."
        return PrimaryVerdict(
            primary=earliest,
            rationale=f"{rationale} ({error})" if error else rationale,
            source="parse_failure" if error else "rule",
        )

    @staticmethod
    def _line(category: str, verdict: CategoryVerdict) -> str:
        turns = ",".join(map(str, verdict.evidence_turns)) or "?"
        return f"{category}: turns {turns}; recovered: {'yes' if verdict.recovered else 'no'}; {verdict.rationale}"

    @staticmethod
    def _earliest(candidates: list[str], verdicts: dict[str, CategoryVerdict]) -> list[str]:
        timed = [c for c in candidates if verdicts[c].evidence_turns]
        if not timed:
            return list(candidates)
        first = min(verdicts[c].evidence_turns[0] for c in timed)
        return [c for c in timed if verdicts[c].evidence_turns[0] == first]


class FailureAnalyzer(dspy.Module):
    """One failed episode → ``FailureDiagnosis``: four category judges and the non-agent detector run
    concurrently (the server batches parallel requests), then the primary-error selector.

    A non-agent failure decided by rule skips the judges (those episodes stay out of the profile);
    one the detector finds keeps its verdicts for inspection but gets no primary error.
    ``judge_model`` names the judging LM in the diagnosis (default: the configured LM's model).
    """

    def __init__(
        self,
        adapter: dspy.Adapter | None = None,
        max_workers: int = 5,
        policy_chars: int = 3000,
        detect_non_agent: bool = True,
        lm_primary: bool = True,
        judge_model: str | None = None,
    ):
        super().__init__()
        adapter = adapter or JSONModeAdapter()
        self.max_workers = max_workers
        self.policy_chars = policy_chars
        self.detect_non_agent = detect_non_agent
        self.judge_model = judge_model
        self.judges = {c: CategoryJudge(c, adapter) for c in CATEGORIES}
        self.non_agent = NonAgentFailureDetector(adapter)
        self.primary = PrimaryErrorSelector(adapter, use_lm=lm_primary)

    def forward(self, evidence: FailureEvidence | dict, policy: str = "") -> FailureDiagnosis:
        if not isinstance(evidence, FailureEvidence):
            evidence = FailureEvidence.from_dict(evidence)
        base = {
            "task_id": evidence.task_id,
            "trial": evidence.trial,
            "domain": evidence.domain,
            "judge_model": self.judge_model or str(getattr(dspy.settings.lm, "model", "") or ""),
        }
        if evidence.succeeded:
            return FailureDiagnosis(
                **base, failed=False, shortcuts=["reward 1: not a failure, nothing judged"]
            )
        ruled = non_agent_by_rule(evidence)
        if ruled is not None:
            return FailureDiagnosis(
                **base, non_agent=ruled[0], non_agent_rationale=ruled[1], shortcuts=[f"non-agent: {ruled[1]}"]
            )

        inputs = {
            "policy_excerpt": policy_excerpt(policy, evidence, self.policy_chars) or "(no policy given)",
            "trajectory": evidence.condensed_trajectory or "(no transcript)",
            "evidence": evidence.render(),
        }
        verdicts: dict[str, CategoryVerdict] = {}
        shortcuts: list[str] = []
        jobs: dict[str, Any] = {}
        for c in CATEGORIES:
            ruled_verdict = category_by_rule(c, evidence)
            if ruled_verdict is not None:
                verdicts[c] = ruled_verdict
                shortcuts.append(f"{c}: {ruled_verdict.rationale}")
            else:
                jobs[c] = (self.judges[c], inputs)
        if self.detect_non_agent:
            jobs["non_agent"] = (self.non_agent, {"evidence": evidence})
        results = self._run(jobs)

        verdicts.update((c, results[c]) for c in CATEGORIES if c in results)
        verdicts = {c: verdicts[c] for c in CATEGORIES}
        non_agent = results.get("non_agent") or NonAgentVerdict(
            kind="none", rationale="not checked", source="rule"
        )
        parse_failures = sum(v.source == "parse_failure" for v in verdicts.values())
        parse_failures += non_agent.source == "parse_failure"
        if non_agent.kind == "none":
            primary = self.primary(verdicts=verdicts, evidence=inputs["evidence"])
            parse_failures += primary.source == "parse_failure"
        else:
            primary = PrimaryVerdict(rationale="Not an agent failure: no primary agent error.")
        if primary.source == "rule" and primary.primary:
            shortcuts.append(f"primary: {primary.rationale}")
        return FailureDiagnosis(
            **base,
            non_agent=non_agent.kind,
            non_agent_rationale=non_agent.rationale,
            verdicts=verdicts,
            primary=primary.primary,
            primary_rationale=primary.rationale,
            parse_failures=parse_failures,
            shortcuts=shortcuts,
        )

    def _run(self, jobs: dict[str, tuple[dspy.Module, dict]]) -> dict[str, Any]:
        """Run the modules concurrently; each thread runs in a copy of the caller's context, which
        carries DSPy's settings (LM, adapter, callbacks, usage tracker), as ``dspy.Parallel`` does."""
        workers = min(self.max_workers, len(jobs))
        results = map_in_context(lambda job: job[0](**job[1]), list(jobs.values()), workers)
        return dict(zip(jobs, results))
