"""FAMA Stage 1 judges: one per agent-side error category, a non-agent failure detector, a primary-error pick.

The category definitions follow docs/design.md §2. Each judge sees the same inputs (a policy excerpt, the
turn-indexed transcript and what the benchmark already knows), so one failed episode costs four
short calls that can run in parallel. Outputs put the rationale first: small models decide better
after writing their reason.
"""

from __future__ import annotations

from typing import Literal

import dspy

ErrorCategory = Literal["DPV", "WRCO", "CM", "IFU"]
NonAgentKind = Literal["none", "user_drift", "broken_task"]


class JudgeErrorCategory(dspy.Signature):
    """Decide whether the agent made this kind of error in a failed customer-service conversation."""

    policy_excerpt: str = dspy.InputField(desc="policy rules relevant to this conversation")
    trajectory: str = dspy.InputField(desc="[turn] role: content, oldest first; long tool outputs are cut")
    evidence: str = dspy.InputField(desc="what the benchmark found wrong (ground truth)")
    rationale: str = dspy.OutputField(desc="one or two sentences")
    occurred: bool = dspy.OutputField(desc="true only if the transcript shows this error")
    evidence_turns: list[int] = dspy.OutputField(desc="turn numbers where the error happens; [] if none")
    recovered: bool = dspy.OutputField(
        desc="true if the agent itself corrected it later, so it did not cause the failure"
    )


class JudgeDPV(JudgeErrorCategory):
    """Judge DPV (domain policy violation). Did the agent act against the domain policy? Counts: an
    action the policy forbids or the user is not eligible for (e.g. cancelling a non-refundable basic
    economy ticket, modifying an undelivered order), skipping required authentication, or a write
    without the user's explicit confirmation where the policy requires it.
    Not DPV: a wrong value read from a tool result (WRCO), a misunderstood request (CM), an unfinished one (IFU)."""


class JudgeWRCO(JudgeErrorCategory):
    """Judge WRCO (wrong retrieval from complex tool outputs). Did the agent take a wrong value from a
    tool result it had received (wrong price, item id, flight, date, total) and use it in an action or
    a statement? Not WRCO: a value never looked up or invented (CM), a policy breach (DPV)."""


class JudgeCM(JudgeErrorCategory):
    """Judge CM (contextual misinterpretation / hallucination). Did the agent misread what the user
    wants (e.g. an exchange treated as a return, the wrong item or reservation), invent ids, values or
    arguments not grounded in the conversation, or call a tool that does not fit the step?
    Not CM: a wrong value copied from a tool result (WRCO), a policy breach (DPV)."""


class JudgeIFU(JudgeErrorCategory):
    """Judge IFU (incomplete fulfilment / early stopping). Did the agent leave a user request
    unfinished: handle only one of several requests, end the conversation or transfer to a human
    before the request was done, or never perform a needed action?
    Not IFU: the action was done but wrong (DPV, WRCO or CM)."""


#: Category code -> its judge signature.
CATEGORY_JUDGES: dict[str, type[JudgeErrorCategory]] = {
    "DPV": JudgeDPV,
    "WRCO": JudgeWRCO,
    "CM": JudgeCM,
    "IFU": JudgeIFU,
}


class NonAgentFailure(dspy.Signature):
    """Decide whether this failed conversation is not the agent's fault.
    user_drift: the simulated user leaves its role (talks like the agent), abandons or contradicts its
    own goal, or invents facts. broken_task: the expected outcome cannot be reached with this policy
    and these tools. Otherwise none."""

    trajectory: str = dspy.InputField(desc="[turn] role: content, oldest first")
    evidence: str = dspy.InputField(desc="what the benchmark found wrong (ground truth)")
    rationale: str = dspy.OutputField(desc="one or two sentences")
    kind: NonAgentKind = dspy.OutputField()


class PrimaryError(dspy.Signature):
    """Given the error verdicts on a failed conversation, name the primary error(s): the ones that
    caused the failure. An error the agent recovered from is not primary, nor is one that only
    follows from an earlier error. Usually one category."""

    verdicts: str = dspy.InputField(desc="one line per error found: category, turns, recovered, rationale")
    evidence: str = dspy.InputField(desc="what the benchmark found wrong (ground truth)")
    rationale: str = dspy.OutputField(desc="one or two sentences")
    primary: list[ErrorCategory] = dspy.OutputField(desc="primary categories, most important first")
