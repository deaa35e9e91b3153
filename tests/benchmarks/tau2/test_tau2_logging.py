import sys

from loguru import logger
from tau2.agent.base import LocalAgent
from tau2.data_model.message import ToolCall

import fama_dspy.benchmarks.tau2  # noqa: F401  (installs the quiet τ² loggers)
from fama_dspy.benchmarks.tau2.builders import make_environment
from fama_dspy.benchmarks.tau2.tau2_logging import WarningsOnlyLogger


class _Agent(LocalAgent):
    def get_init_state(self, message_history=None):
        return None

    def generate_next_message(self, message, state):
        raise NotImplementedError


def test_tau2_logs_warnings_only_and_cannot_touch_our_sinks():
    env_module = sys.modules["tau2.environment.environment"]
    assert isinstance(env_module.logger, WarningsOnlyLogger)
    seen = []
    sink = logger.add(
        lambda m: seen.append((m.record["level"].name, m.record["name"], m.record["message"])), level="DEBUG"
    )
    try:
        env = make_environment("mock")
        env.get_response(ToolCall(id="1", name="get_users", arguments={}))  # τ² logs the response at DEBUG
        _Agent([], "").set_seed(3)  # τ²'s BaseAgent warns that seeding is not implemented
        env_module.logger.warning("Message user: hi has no cost")  # per-message noise is dropped
        env_module.logger.remove()  # what τ²'s run_tasks does: must not remove our sink
        env_module.logger.error("broken")
    finally:
        logger.remove(sink)
    assert [(level, name) for level, name, _ in seen] == [("WARNING", "tau2.agent.base"), ("ERROR", __name__)]
    assert "Setting seed for agent is not implemented" in seen[0][2]
