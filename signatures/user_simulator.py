"""The simulated customer of an interactive episode: one user turn at a time.

Small models drift into the agent's role ("How can I assist you today?"), so the instructions
say plainly who is who, the transcript labels the agent's lines, and the end of the conversation
is a typed ``status`` (the harness turns it into τ²'s stop tokens) instead of a magic string.
"""

from __future__ import annotations

from typing import Literal

import dspy

UserStatus = Literal["continue", "done", "transferred", "out_of_scope"]


class UserTurn(dspy.Signature):
    """You are role-playing a CUSTOMER who contacted a company's support chat. You are NOT the support agent:
    never offer help, never ask how you can assist, never answer on the company's behalf.
    Pursue the goal of your scenario with one short message at a time, in the first person.
    Give a fact only when the agent asks for it, and only facts written in the scenario; if the agent
    asks for something the scenario does not say, answer that you do not know.
    When the agent asks you to confirm an action that matches your goal, confirm it.
    Set status to 'done' once your goal is achieved or definitively refused."""

    scenario: str = dspy.InputField(
        desc="your own notes as the customer, in your voice ('I', 'my'): who you are, why you contacted support, "
        "what you know and want"
    )
    conversation: str = dspy.InputField(
        desc="the chat so far, oldest first; 'agent:' lines are the support agent, 'you:' lines are yours"
    )
    correction: str | None = dspy.InputField(desc="why your previous reply was rejected; fix it")
    message: str = dspy.OutputField(desc="your next message to the agent, written as the customer")
    status: UserStatus = dspy.OutputField(
        desc="'continue' while your goal is open; 'done' when it is achieved or refused for good; "
        "'transferred' once the agent has transferred you to a human; "
        "'out_of_scope' when the scenario cannot answer what the agent needs"
    )


#: With tools on the customer's own device (τ²'s telecom domain): the customer may run one instead of writing.
UserTurnWithDevice = (
    UserTurn.append(
        "device_tools",
        dspy.InputField(
            desc="tools on your own device you can run when the agent asks: name(args) - description"
        ),
        type_=str,
    )
    .insert(
        0,
        "tool_name",
        dspy.OutputField(desc="a device tool to run now because the agent asked for it, else ''"),
        type_=str,
    )
    .insert(
        1,
        "tool_arguments",
        dspy.OutputField(
            desc='the tool\'s arguments as a JSON object, "{}" when it takes none or no tool is run'
        ),
        type_=str,
    )
)
