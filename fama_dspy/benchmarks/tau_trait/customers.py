"""The customer side of a τ-trait episode: our simulated customer, or a scripted one without an LLM.

τ-trait's user is an LLM that reads the task's instruction, writes one line at a time and ends
the chat with ``###STOP###``. Here that role is played by:
- ``fama``: fama-dspy's simulated customer (``episodes.SimulatedCustomer`` on
  ``user_sim.SimulatedUser``), whose scenario is the instruction in the first person and whose
  first message is the instruction's first sentence (``tasks.opening_request``). It ends the chat
  with a status other than 'continue', our equivalent of ``###STOP###``;
- ``scripted``: no LLM. It states the whole request, confirms when the agent asks it to confirm,
  and ends the chat on any other agent message; meaningful with the gold replay and scripted agents.

τ-trait's persona *traits* are applied only through a hosted steering service, so no customer here
has them (``TRAIT_NOTE`` goes into every record).
"""

from __future__ import annotations

import re
from typing import Any

import dspy

from fama_dspy.benchmarks.tau_trait.data import TauTraitTask
from fama_dspy.benchmarks.tau_trait.tasks import opening_request, request_text
from fama_dspy.conversation import Message
from fama_dspy.episodes import CustomerSide, SimulatedCustomer
from fama_dspy.episodes.loop import CustomerTurn
from fama_dspy.episodes.seeding import trial_lm
from fama_dspy.errors import ConfigError
from fama_dspy.results.fatal import is_endpoint_failure

USER_KINDS = ("fama", "scripted")
TRAIT_NOTE = (
    "τ-trait's persona traits are applied only through a hosted steering service, so they are not "
    "reproduced here: this episode's customer had no traits."
)
#: The generic confirmation exchange (the same words as τ²'s decision views use).
CONFIRM_QUESTION = "Before I make this change, please confirm that you want me to proceed (yes/no)."
CONFIRM_ANSWER = "Yes, I confirm. Please go ahead."
CLOSING = "Thank you, that is all I needed."

_ASKS_TO_CONFIRM = re.compile(r"\b(confirm|proceed|go ahead)\b", re.IGNORECASE)


class ScriptedCustomer:
    """No LLM: the request up front, a yes to every confirmation question, the end on anything else."""

    def __init__(self, task: TauTraitTask):
        self.request = request_text(task)
        self.turns = 0

    def opening(self) -> CustomerTurn:
        self.turns += 1
        return CustomerTurn(text=self.request)

    def reply(self, transcript: list[Message]) -> CustomerTurn:
        self.turns += 1
        said = next((m.content for m in reversed(transcript) if m.role == "assistant" and m.content), "")
        if "?" in said and _ASKS_TO_CONFIRM.search(said):
            return CustomerTurn(text=CONFIRM_ANSWER)
        return CustomerTurn(text=CLOSING, done=True)

    def stats(self) -> dict[str, Any]:
        return {"turns": self.turns, "retries": 0, "failures": [], "usage": _no_usage()}


class CustomerModule:
    """``SimulatedUser`` on a given LM (default: DSPy's), counting its tokens, re-asks and failures.

    A failed turn (any exception but a refused connection) is answered with the simulator's
    fallback reply, as τ²'s adapter does, instead of ending the episode.
    """

    def __init__(self, lm: dspy.LM | None = None, module: Any = None):
        from fama_dspy.user_sim.simulator import SimulatedUser

        self.lm = lm
        self.module = module or SimulatedUser()
        self.retries = 0
        self.failures: list[str] = []
        self.usage = _no_usage()

    def __call__(self, **inputs: Any) -> dspy.Prediction:
        from fama_dspy.user_sim.simulator import FALLBACK_REPLY

        try:
            with (
                dspy.context(**({"lm": self.lm} if self.lm is not None else {})),
                dspy.track_usage() as tracker,
            ):
                pred = self.module(**inputs)
        except Exception as exc:
            if is_endpoint_failure(exc):
                raise
            self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
            return dspy.Prediction(message=FALLBACK_REPLY, status="continue")
        for per_model in tracker.get_total_tokens().values():
            for key in self.usage:
                if isinstance(per_model.get(key), int):
                    self.usage[key] += per_model[key]
        self.retries += int(pred.get("retries") or 0)
        return pred


class FamaCustomer(SimulatedCustomer):
    """Our simulated customer on a τ-trait task, with stats for the episode record."""

    def __init__(self, task: TauTraitTask, lm: dspy.LM | None = None, module: Any = None):
        self.counted = CustomerModule(lm, module)
        super().__init__(request_text(task), opening=opening_request(task), module=self.counted)

    def stats(self) -> dict[str, Any]:
        return {
            "turns": self.turns,
            "retries": self.counted.retries,
            "failures": list(self.counted.failures),
            "usage": dict(self.counted.usage),
        }


def _no_usage() -> dict[str, int]:
    return {"prompt_tokens": 0, "completion_tokens": 0}


def customer_builder(
    kind: str, lm: dspy.LM | None = None, llm: str | None = None, llm_args: dict | None = None
):
    """``(task, trial seed) -> CustomerSide`` for ``kind`` (``USER_KINDS``); ``fama`` uses ``lm``, else
    one built from ``llm``/``llm_args``, else DSPy's configured LM, sampling each trial anew."""
    if kind not in USER_KINDS:
        raise ConfigError(
            f"τ-trait episodes use the user {' or '.join(map(repr, USER_KINDS))}, not {kind!r} "
            "(τ-trait's own LLM user needs its hosted services)"
        )
    if kind == "scripted":
        return lambda task, seed=None: ScriptedCustomer(task)
    if lm is None and llm:
        lm = dspy.LM(llm, engine="litellm", **dict(llm_args or {}))  # a LiteLLM model string, as for τ²
    if lm is None and dspy.settings.lm is None:
        # Otherwise every customer turn would fail and fall back to a canned reply.
        raise ConfigError(
            "the fama user simulator needs a model: pass user_lm or user_llm, or configure DSPy"
        )

    def build(task: TauTraitTask, seed: int | None = None) -> CustomerSide:
        return FamaCustomer(task, trial_lm(lm or dspy.settings.lm, seed, task.id))

    return build
