"""``FamaReAct``: FAMA over a user's own Python tools, in the shape of ``dspy.ReAct``.

``dspy.ReAct(signature, tools=[fn, ...])`` is the interface DSPy users know; ``FamaReAct`` keeps it
and runs FAMA's tool-use agent with the chosen specialists underneath:

1. the tools become ``ToolSpec``s (name, docstring, argument JSON schema from type hints,
   read-only or state-changing where the user says so) plus the ``done`` stop tool;
2. the signature's instructions (and an optional ``policy``) are the policy, its inputs the
   ticket: the agent works solo, one tool call per step;
3. decide → validate → execute: arguments are checked against the tool's schema before the call;
   a validation error or an exception raised by the tool goes back to the agent as a tool error,
   never out of the program; ``max_iters`` decisions end the loop with a clear status;
4. an extraction step (a ``ChainOfThought`` over the signature plus the trajectory) fills the
   signature's outputs, returned with the ``trajectory`` (``dspy.ReAct``'s key layout), the
   ``status`` and FAMA's per-decision info (specialists that ran, LM calls, tokens).

Everything is a ``dspy.Module``: ``named_predictors()`` covers the tool-use agent, the
specialists and the extraction, so DSPy optimizers tune it with the user's own metric, and
``save``/``load`` round-trip it as JSON.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Callable, Iterable
from typing import Any

import dspy
from dspy.signatures.signature import ensure_signature

from fama_dspy.adapters import JSONModeAdapter
from fama_dspy.conversation import DecisionState, Message, ToolCall, ToolSpec
from fama_dspy.decoding import DEFAULT_DECODING
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent
from fama_dspy.validation import validate_action

#: The stop tool: the solo tool-use signature already tells the agent to call `done` when finished.
FINISH = "done"
FINISH_DESCRIPTION = "Call this when you have everything needed to produce the final outputs."
#: What ``status`` says about how the loop ended.
STATUSES = ("finished", "max_iters")
#: Cap on one observation shown to the agent: a tool's huge result should not flood the prompt.
MAX_OBSERVATION_CHARS = 4000


def tool_spec(tool: dspy.Tool, writes: bool | None = None) -> ToolSpec:
    """A ``ToolSpec`` from a ``dspy.Tool``: arguments without a default are required."""
    properties = {}
    required = []
    for name, schema in (tool.args or {}).items():
        schema = dict(schema)
        if "default" not in schema:
            required.append(name)
        schema.pop("default", None)
        properties[name] = schema
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return ToolSpec(name=tool.name, description=tool.desc or "", parameters=parameters, writes=writes)


def _as_tool(tool: Callable | dspy.Tool) -> dspy.Tool:
    return tool if isinstance(tool, dspy.Tool) else dspy.Tool(tool)


def observation_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_OBSERVATION_CHARS else text[:MAX_OBSERVATION_CHARS] + " …(cut)"


class FamaReAct(dspy.Module):
    """FAMA's tool-use agent and specialists over Python tools, with ``dspy.ReAct``'s call shape.

    ``tools``: callables or ``dspy.Tool``s. ``writes``: names of tools that change state (VER
    checks those); a callable may also carry ``fama_writes = True``. Everything else is read-only
    unless unknown. ``specialists`` (codes) or ``profile`` (a ``FailureProfile``, its dict or a
    path) pick the specialists; ``base``, ``decoding`` and ``id_policy`` go to the ``FamaAgent``
    (``id_policy`` defaults to ``"free"`` here: a user's tools need not follow the id naming rule).
    """

    def __init__(
        self,
        signature: str | type[dspy.Signature],
        tools: Iterable[Callable | dspy.Tool],
        *,
        specialists: Iterable[str] = (),
        profile: Any = None,
        base: str = "react",
        decoding: str = DEFAULT_DECODING,
        id_policy: str = "free",
        max_iters: int = 10,
        policy: str = "",
        writes: Iterable[str] = (),
        **agent_kwargs: Any,
    ):
        super().__init__()
        if max_iters < 1:
            raise ConfigError(f"max_iters must be at least 1, not {max_iters}.")
        self.signature = ensure_signature(signature)
        self.max_iters = max_iters
        self.policy = policy
        tools = [_as_tool(t) for t in tools]
        names = [t.name for t in tools]
        if FINISH in names or len(set(names)) != len(names):
            raise ConfigError(f"tool names must be unique and not {FINISH!r}: {names}")
        write_names = set(writes)
        unknown = sorted(write_names - set(names))
        if unknown:
            raise ConfigError(f"writes names unknown tools: {', '.join(unknown)}")
        self.tools = {t.name: t for t in tools}
        self.specs = [
            tool_spec(t, writes=(t.name in write_names) or bool(getattr(t.func, "fama_writes", False)))
            for t in tools
        ] + [ToolSpec(name=FINISH, description=FINISH_DESCRIPTION, writes=False)]
        kwargs = {"base": base, "decoding": decoding, "id_policy": id_policy, **agent_kwargs}
        if profile is not None:
            if specialists:
                raise ConfigError("give either specialists or profile, not both")
            self.fama = FamaAgent.from_profile(profile, **kwargs)
        else:
            self.fama = FamaAgent(specialists=specialists, **kwargs)
        outputs = ", ".join(f"`{k}`" for k in self.signature.output_fields)
        extract = self.signature.append(
            "trajectory", dspy.InputField(desc="the tool calls made and what they returned"), type_=str
        )
        self.extract = dspy.ChainOfThought(
            extract.with_instructions(
                f"{self.signature.instructions}\n\nThe trajectory shows the tool calls already made. "
                f"Using only its results and the inputs, produce {outputs}."
            )
        )
        self.extract_adapter = JSONModeAdapter(decoding=decoding)

    # -- the loop ---------------------------------------------------------------------------------

    def _ticket(self, inputs: dict[str, Any]) -> str:
        missing = [k for k in self.signature.input_fields if k not in inputs]
        if missing:
            raise ConfigError(f"missing input(s) {', '.join(missing)} for {self.signature.__name__}")
        lines = [f"{k}: {inputs[k]}" for k in self.signature.input_fields]
        outputs = ", ".join(self.signature.output_fields)
        return (
            "\n".join(lines)
            + f"\n(Use the tools as needed, then call `{FINISH}`; the outputs wanted: {outputs}.)"
        )

    def _policy(self) -> str:
        return "\n\n".join(p for p in (self.signature.instructions, self.policy) if p)

    def _execute(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """(observation, is_error): a raising tool becomes an error observation."""
        try:
            return observation_text(self.tools[name](**arguments)), False
        except Exception as exc:  # noqa: BLE001 - any tool failure goes back to the agent, not out of the program
            return f"Error: {name} raised {type(exc).__name__}: {exc}", True

    def forward(self, **inputs: Any) -> dspy.Prediction:
        state = DecisionState(policy=self._policy(), tools=self.specs, ticket=self._ticket(inputs))
        trajectory: dict[str, Any] = {}
        decisions: list[dict[str, Any]] = []
        status = "max_iters"
        for step in range(self.max_iters):
            pred = self.fama(state=state)
            action, info = pred.action, pred.info
            decisions.append(info)
            call = ToolCall(name=action.tool_name, arguments=dict(action.arguments), id=f"call_{step}")
            trajectory[f"thought_{step}"] = info.get("reasoning", "")
            trajectory[f"tool_name_{step}"] = action.tool_name
            trajectory[f"tool_args_{step}"] = dict(action.arguments)
            if action.kind == "tool_call" and action.tool_name == FINISH:
                trajectory[f"observation_{step}"] = "Completed."
                status = "finished"
                break
            problem = validate_action(action, self.specs, solo=True)
            if problem is not None:
                observation, error = f"Error: {problem}", True
            else:
                observation, error = self._execute(action.tool_name, action.arguments)
            trajectory[f"observation_{step}"] = observation
            state = state.model_copy(
                update={
                    "messages": [
                        *state.messages,
                        Message(role="assistant", tool_calls=[call]),
                        Message(role="tool", tool_name=action.tool_name, content=observation, error=error),
                    ]
                }
            )
        with dspy.context(adapter=self.extract_adapter):
            extracted = self.extract(**inputs, trajectory=self._format_trajectory(trajectory))
        outputs = {k: extracted[k] for k in self.signature.output_fields}
        return dspy.Prediction(
            **outputs,
            trajectory=trajectory,
            status=status,
            steps=len(decisions),
            decisions=decisions,
            ticket=state.ticket,
            messages=[m.model_dump(mode="json") for m in state.messages],
        )

    async def aforward(self, **inputs: Any) -> dspy.Prediction:
        # The loop is sequential by nature; running it in a worker keeps the event loop free. DSPy's
        # settings (LM, adapter, callbacks) travel with the copied context.
        context = contextvars.copy_context()
        return await asyncio.to_thread(context.run, self.forward, **inputs)

    @staticmethod
    def _format_trajectory(trajectory: dict[str, Any]) -> str:
        steps = sorted({int(k.rsplit("_", 1)[1]) for k in trajectory})
        lines = []
        for i in steps:
            args = json.dumps(trajectory.get(f"tool_args_{i}", {}), ensure_ascii=False, default=str)
            lines.append(
                f"[{i}] {trajectory.get(f'tool_name_{i}')}({args}) -> {trajectory.get(f'observation_{i}', '')}"
            )
        return "\n".join(lines) or "(no tool calls)"


def writes(fn: Callable) -> Callable:
    """Mark a tool function as state-changing (VER checks calls to it before they run)."""
    fn.fama_writes = True  # type: ignore[attr-defined]
    return fn
