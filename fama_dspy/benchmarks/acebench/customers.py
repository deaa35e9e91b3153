"""The user side of a multi-turn episode: our simulated customer, or a scripted one for tests.

ACEBench's user is an LLM given the task's ``question`` as its instruction; it is first shown the
agent's greeting ("Is there anything you need help with today?") and writes the opening
request, and any message (the agent's or the user's) holding "finish conversation" ends the
dialogue. When the agent ends it, the user side closes with an empty turn (ACEBench has none;
the loop needs one, and an empty turn is neither shown to anyone nor judged). Here:
- ``fama``: our ``SimulatedCustomer`` (``user_sim``) on the question in the user's first person,
  its opening written after the same greeting (the agent never sees the greeting, as in
  ACEBench); it ends when its typed status says so or when either side writes the phrase. Its
  turns run on ``lm`` when one is given (``EpisodeRequest.user_lm``), else on DSPy's LM;
- ``acebench``: ACEBench's own user simulator prompt (``prompts.acebench_user_prompt``) on the
  user LM: the greeting as the first user-role message, each agent message after it, the
  simulator's own lines as assistant-role messages (ACEBench sends them with the ``system``
  role); it ends when a line holds "finish conversation";
- ``scripted`` (no LLM): opens with the whole question in the first person and ends at the
  agent's first message. Only meaningful with the gold replay or scripted agents.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fama_dspy.benchmarks.acebench.prompts import FINISH_PHRASE, GREETING, user_scenario
from fama_dspy.conversation import Message
from fama_dspy.episodes import SimulatedCustomer
from fama_dspy.episodes.loop import CustomerTurn
from fama_dspy.errors import ConfigError

USER_KINDS = ("fama", "acebench", "scripted")


def _finishes(text: str) -> bool:
    return FINISH_PHRASE in (text or "").lower()


def _agent_finished(transcript: list[Message]) -> bool:
    last = next((m.content for m in reversed(transcript) if m.role == "assistant" and m.content), "")
    return _finishes(last)


def _closed() -> CustomerTurn:
    """The user's side of an ending the agent announced."""
    return CustomerTurn(text="", done=True)


class AceCustomer:
    """Our simulated customer with ACEBench's opening and ending rules."""

    def __init__(self, question: str, lm: Any = None, module: Any = None):
        self.simulated = SimulatedCustomer(user_scenario(question), module=module)
        self.lm = lm

    def _turn(self, transcript: list[Message]) -> CustomerTurn:
        import dspy

        context = dspy.context(lm=self.lm) if self.lm is not None else contextlib.nullcontext()
        with context:
            turn = self.simulated.reply(transcript)
        return CustomerTurn(text=turn.text, done=turn.done or _finishes(turn.text))

    def opening(self) -> CustomerTurn:
        return self._turn([Message(role="assistant", content=GREETING)])

    def reply(self, transcript: list[Message]) -> CustomerTurn:
        if _agent_finished(transcript):
            return _closed()
        return self._turn(transcript)

    def stats(self) -> dict[str, Any]:
        return {"turns": self.simulated.turns}


def _without_role_prefix(text: str) -> str:
    """ACEBench's ``remove_prefix``: a leading "user:" or "agent:" is dropped."""
    for prefix in ("user:", "agent:"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


class AceBenchUser:
    """ACEBench's own user simulator prompt and turn order, on a DSPy LM (``lm`` or DSPy's)."""

    def __init__(self, system_prompt: str, lm: Any = None):
        from dspy.lm15 import Message as LMMessage

        self.system = system_prompt
        self.lm = lm
        self.history = [LMMessage.user(GREETING)]
        self.turns = 0

    def _ask(self) -> CustomerTurn:
        import dspy
        from dspy.lm15 import Message as LMMessage
        from dspy.lm15 import Request

        lm = self.lm or dspy.settings.lm
        if lm is None:
            raise ConfigError("ACEBench's user simulator needs a model: pass user_lm or configure DSPy")
        # A direct call keys DSPy's cache on call-time arguments only: pass the trial's rollout here.
        rollout = {"rollout_id": lm.kwargs["rollout_id"]} if "rollout_id" in (lm.kwargs or {}) else {}
        response = lm(Request(model=lm.model, messages=tuple(self.history), system=self.system), **rollout)
        text = (response.text or "").strip()
        self.history.append(LMMessage.assistant(text or "..."))
        self.turns += 1
        return CustomerTurn(text=text, done=_finishes(text))

    def opening(self) -> CustomerTurn:
        return self._ask()

    def reply(self, transcript: list[Message]) -> CustomerTurn:
        from dspy.lm15 import Message as LMMessage

        if _agent_finished(transcript):
            return _closed()
        last = next((m.content for m in reversed(transcript) if m.role == "assistant" and m.content), "")
        self.history.append(LMMessage.user(_without_role_prefix(last)))
        return self._ask()

    def stats(self) -> dict[str, Any]:
        return {"turns": self.turns}


class ScriptedCustomer:
    """No LLM: the whole request first, then the end of the conversation."""

    def __init__(self, question: str):
        self.request = user_scenario(question)
        self.turns = 0

    def opening(self) -> CustomerTurn:
        self.turns += 1
        return CustomerTurn(text=self.request)

    def reply(self, transcript: list[Message]) -> CustomerTurn:
        if _agent_finished(transcript):
            return _closed()
        self.turns += 1
        return CustomerTurn(text=FINISH_PHRASE, done=True)

    def stats(self) -> dict[str, Any]:
        return {"turns": self.turns}


def check_user_kind(kind: str) -> str:
    if kind not in USER_KINDS:
        raise ConfigError(f"unknown ACEBench user {kind!r}; choose one of: {', '.join(USER_KINDS)}")
    return kind
