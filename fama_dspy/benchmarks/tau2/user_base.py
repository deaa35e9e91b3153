"""What every fama-dspy user (scripted, replayed or simulated) does the same way for τ²'s orchestrator."""

from __future__ import annotations

from tau2.data_model.message import Message as Tau2Message
from tau2.data_model.message import UserMessage
from tau2.user.base import BaseUser, UserState
from tau2.user.user_simulator import UserSimulator


class HarnessUser(BaseUser):
    """τ²'s user interface with its plain parts filled in: an empty initial state over the history,
    τ²'s own stop check, and a recorded seed (our users are deterministic or seed their LM calls
    elsewhere)."""

    seed: int | None = None

    def get_init_state(self, message_history: list[Tau2Message] | None = None) -> UserState:
        return UserState(system_messages=[], messages=list(message_history or []))

    @classmethod
    def is_stop(cls, message: UserMessage) -> bool:
        return UserSimulator.is_stop(message)

    def set_seed(self, seed: int) -> None:
        self.seed = seed
