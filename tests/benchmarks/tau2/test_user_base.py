"""The τ² plumbing every harness user shares."""

from tau2.data_model.message import UserMessage
from tau2.user.base import STOP

from fama_dspy.benchmarks.tau2.gold import ScriptedUser
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import DialogueUser
from fama_dspy.benchmarks.tau2.user import FamaUser
from fama_dspy.benchmarks.tau2.user_base import HarnessUser


def test_users_share_state_stop_check_and_seed():
    assert all(issubclass(cls, HarnessUser) for cls in (ScriptedUser, DialogueUser, FamaUser))
    user = FamaUser(instructions="You want a task.")
    history = [UserMessage(role="user", content="hi")]
    state = user.get_init_state(history)
    assert state.messages == history and state.messages is not history and state.system_messages == []
    assert FamaUser.is_stop(UserMessage(role="user", content=f"bye {STOP}"))
    assert not FamaUser.is_stop(UserMessage(role="user", content="bye"))
    assert user.seed is None
    user.set_seed(7)
    assert user.seed == 7
