"""A small bench on the scripted LM, run as its own process by the resume test (it gets killed).

Usage: python bench_script.py OUT_DIR DELAY_SECONDS
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: scripted_lm

from scripted_lm import action_reply, json_reply, scripted_lm

from fama_dspy.bench import BenchPlan, parse_configs, run_bench

CONFIGS = "react,fama:dce+mem"
TASK_IDS = ["create_task_1", "update_task_1", "update_task_with_initialization_data"]
CREATE = action_reply(
    kind="tool_call", tool_name="create_task", arguments={"user_id": "user_1", "title": "Important Meeting"}
)
DONE = action_reply(kind="tool_call", tool_name="done", arguments={})
#: Every episode takes exactly two decisions (create, then done), so a fresh process restarting
#: mid-run replays the same answers for the episodes it still has to run.
SCRIPT = {"agent": [CREATE, DONE] * 100, "dce": [json_reply(rules=["Create tasks only for existing users"])]}


def plan() -> BenchPlan:
    return BenchPlan(
        domain="mock", configs=parse_configs(CONFIGS), modes=("solo",), task_ids=TASK_IDS, max_steps=6
    )


def main() -> None:
    out, delay = Path(sys.argv[1]), float(sys.argv[2])
    lm, _ = scripted_lm(SCRIPT, delay=delay)
    run_bench(plan(), out, lm, progress=False)
    print("bench finished", flush=True)


if __name__ == "__main__":
    main()
