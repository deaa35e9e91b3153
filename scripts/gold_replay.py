"""Gold replay through the benchmark interface: every task of the given τ² domains must score 1.0.

    python scripts/gold_replay.py [--domains airline,retail,telecom] [--out runs/gold-replay]

No LLM: the gold agent replays each task's gold actions and a scripted user plays the user's
side. Resumable (the runner's records in ``--out``); prints one line per domain and exits 1 if
any task scored below 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fama_dspy.benchmarks import EpisodeRequest, get_benchmark


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", default="airline,retail,telecom")
    parser.add_argument("--split", default="base", help="telecom's base split is its standard task set")
    parser.add_argument("--out", type=Path, default=Path("runs/gold-replay"))
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    from fama_dspy.benchmarks.tau2.builders import gold_agent_builder

    tau2 = get_benchmark("tau2")
    failed = 0
    for domain in [d.strip() for d in args.domains.split(",") if d.strip()]:
        records = tau2.run_episodes(
            EpisodeRequest(
                domain=domain,
                split=args.split,
                user="scripted",
                out=args.out / domain,
                config_name="gold",
                concurrency=args.concurrency,
                max_steps=200,
                progress=True,
                extra={"agent_builder": gold_agent_builder()},
            )
        )
        below = [r["task_id"] for r in records if r.get("reward") != 1.0]
        failed += len(below)
        print(
            f"{domain}: {len(records) - len(below)}/{len(records)} tasks score 1.0"
            + (f"; below: {below}" if below else "")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
