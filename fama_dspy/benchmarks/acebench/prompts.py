"""The agent's policy and the user's instructions, from ACEBench's own texts where it has them.

- multi-turn: ACEBench's domain prompts (``TRAVEL_PROMPT_EN`` when the task involves ``Travel``,
  ``BASE_PROMPT_EN`` when it involves ``BaseApi``, both when both, in that order, as its agent
  builds them), read from the checkout's ``model_inference/prompt_en.py``. Their "Function
  Calls" section (how to write ``[ApiName(key='value')]`` text) is left out, since our agents
  call tools through a typed action, and the ending rule is kept: the agent ends by saying
  "finish conversation";
- multi-step: ACEBench's agent gets only generic rules (one call at a time, each step decided
  from the previous results, arguments from the user's words), said here in our words, with our
  stop tool;
- the simulated user's scenario: the task's ``question`` in the user's first person
  (``user_sim.voice``), since ACEBench writes it to the user simulator as "You are …"; or, for
  ACEBench's own user, its system prompt from ``model_inference/multi_turn/APIModel_user.py``
  with the question as the instruction.

The constants are read with ``ast`` (string literals only), never imported: those modules belong
to ACEBench's inference code (and import its API clients), not to the sandbox.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from fama_dspy.benchmarks.acebench.tools import STOP_TOOL
from fama_dspy.user_sim.voice import first_person

PROMPTS_FILE = "model_inference/prompt_en.py"
#: ACEBench's user simulator and its system prompts (``SYSTEM_PROMPT_BASE_EN``, ``SYSTEM_PROMPT_TRAVEL_EN``).
USER_PROMPTS_FILE = "model_inference/multi_turn/APIModel_user.py"
#: ACEBench's end-of-conversation phrase (its agents and users write it; any message holding it ends).
FINISH_PHRASE = "finish conversation"
#: ACEBench's user simulator is first shown this line as the agent's greeting.
GREETING = "Is there anything you need help with today?"

MULTI_STEP_POLICY = f"""You are a mobile assistant agent: you send text messages, manage reminders and order \
takeout for the user, using only the available tools.
- Work step by step: call one tool at a time and decide the next step from the results of the previous \
ones; when the task needs several steps, later steps depend on earlier results.
- Use the user's own words for argument values unless a parameter's description requires a format; \
include optional parameters only when the user mentions them.
- Do not ask the user anything: no user is present; solve the task from what is known.
- When the task is complete, call `{STOP_TOOL}`."""

MULTI_TURN_RULES = f"""You are a simulated assistant agent talking with a user; call tools to act.
- If the information you have is incomplete, ask the user for it; never answer on the user's behalf.
- When you believe the current task is completed, respond with "{FINISH_PHRASE}" to end the dialogue."""


@cache
def checkout_prompts(root: str, relative: str = PROMPTS_FILE) -> dict[str, str]:
    """The module-level string constants of one of ACEBench's files (read, not executed)."""
    tree = ast.parse((Path(root) / relative).read_text(encoding="utf-8"))
    prompts: dict[str, str] = {}
    for node in tree.body:
        is_text = isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        if is_text and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    prompts[target.id] = node.value.value
    return prompts


def _without_call_format(prompt: str) -> str:
    """ACEBench's domain prompt up to its "Function Calls" section (the text-call syntax)."""
    return prompt.split("\nFunction Calls:", 1)[0].rstrip()


def agent_policy(root: Path | str, domain: str, involved_classes: list[str]) -> str:
    if domain == "multi-step":
        return MULTI_STEP_POLICY
    prompts = checkout_prompts(str(root))
    parts = [MULTI_TURN_RULES]
    if "Travel" in involved_classes:
        parts.append(_without_call_format(prompts["TRAVEL_PROMPT_EN"]))
    if "BaseApi" in involved_classes:
        parts.append(_without_call_format(prompts["BASE_PROMPT_EN"]))
    return "\n\n".join(parts)


def acebench_user_prompt(root: Path | str, question: str, involved_classes: list[str]) -> str:
    """ACEBench's own user-simulator system prompt for a task (its ``APIUSER.get_init_prompt``)."""
    prompts = checkout_prompts(str(root), USER_PROMPTS_FILE)
    key = "SYSTEM_PROMPT_BASE_EN" if "BaseApi" in involved_classes else "SYSTEM_PROMPT_TRAVEL_EN"
    return prompts[key].format(instruction=question)


def user_scenario(question: str) -> str:
    """The user's instructions as the user's own notes (first person)."""
    return first_person(question.strip())
