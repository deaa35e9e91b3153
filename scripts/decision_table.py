"""Pool decision-level bench runs (e.g. one per domain) and print one table per configuration.

    python scripts/decision_table.py runs/m11-airline runs/m11-retail --base "react@json/ids-free"
    # one row for programs compiled per domain (their configuration names differ)
    python scripts/decision_table.py runs/airline runs/retail --base react \
        --pool "react compiled=fama-compiled[react-airline-demos]|fama-compiled[react-retail-demos]"

Per configuration, over the points every listed configuration answered (so rows compare the same
points): tool-name and exact accuracy, the paired 95 % bootstrap interval of the exact and name
differences against ``--base`` (resampled by point) with the points won and lost, messages where
the gold is a call, parse failures, truncations, calls with unseen ids, tokens (all and
generated) and seconds per decision, and the exact accuracy on the derivable / non-derivable
subsets; and how many answers equal the base's (same action; and same reasoning, i.e. the same
free text before the action). Two configurations that send the same prompt can still differ at
temperature 0: llama-server's results depend on which requests share a batch, so a reasoning
that differs although nothing constrains it differently measures that noise, not the
configuration.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fama_dspy.report.stats import paired_bootstrap
from fama_dspy.results.decisions import load_decision_results


def same_action(a: dict, b: dict) -> bool:
    return json.dumps(a.get("action"), sort_keys=True) == json.dumps(b.get("action"), sort_keys=True)


def same_reasoning(a: dict, b: dict) -> bool:
    return (a.get("info") or {}).get("reasoning") == (b.get("info") or {}).get("reasoning")


def pooled(records: list[dict], pools: list[str]) -> list[dict]:
    """Records with the configurations of each ``LABEL=CONFIG|CONFIG…`` renamed to ``LABEL``.

    A program compiled per domain has one configuration name per domain; pooled, they are one row.
    Two pooled configurations answering the same point would be counted twice: refused.
    """
    rename: dict[str, str] = {}
    for pool in pools:
        label, sep, members = pool.partition("=")
        if not sep or not label.strip() or not members.strip():
            raise SystemExit(f"--pool {pool!r}: expected LABEL=CONFIG|CONFIG…")
        for member in members.split("|"):
            rename[member.strip()] = label.strip()
    out, seen = [], {}
    for r in records:
        config = rename.get(r["config"], r["config"])
        unit = (config, r["point_id"], r.get("trial") or 0)
        if unit in seen and seen[unit] != r["config"]:
            raise SystemExit(
                f"--pool: {seen[unit]} and {r['config']} both answered {r['point_id']} as {config}"
            )
        seen[unit] = r["config"]
        out.append({**r, "config": config})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--base", required=True, help="configuration the differences are taken against")
    parser.add_argument("--configs", default=None, help="comma-separated subset, in this order")
    parser.add_argument(
        "--pool",
        action="append",
        default=[],
        metavar="LABEL=CONFIG|CONFIG",
        help="report these configurations (e.g. one compiled program per domain) as one row LABEL",
    )
    args = parser.parse_args()

    records = pooled([r for run in args.runs for r in load_decision_results(run)], args.pool)
    by_config: dict[str, dict[str, dict]] = {}
    for r in records:
        by_config.setdefault(r["config"], {})[f"{r['point_id']}#{r.get('trial') or 0}"] = r
    names = args.configs.split(",") if args.configs else sorted(by_config)
    missing = [n for n in [args.base, *names] if n not in by_config]
    if missing:
        raise SystemExit(f"no records for {', '.join(missing)}; have {', '.join(sorted(by_config))}")
    common = set.intersection(*(set(by_config[n]) for n in {args.base, *names}))
    units = sorted(common)
    if not units:
        counts = ", ".join(f"{n} {len(by_config[n])}" for n in dict.fromkeys([args.base, *names]))
        raise SystemExit(
            f"no decision point was answered by every configuration ({counts} points); pool the "
            "per-domain configurations with --pool or choose them with --configs"
        )
    base = by_config[args.base]

    # Configuration names hold brackets (fama-compiled[name]): escaped, or rich reads them as markup.
    table = Table(
        title=escape(f"{len(units)} decision points answered by every configuration; Δ vs {args.base}")
    )
    for column in (
        "config",
        "name",
        "exact",
        "Δ exact [95% CI]",
        "Δ name [95% CI]",
        "exact won · lost",
        "exact der./non-der.",
        "msg for call",
        "parse fail",
        "cut",
        "unseen-id calls",
        "tok/dec",
        "gen tok/dec",
        "s/dec",
        "cached",
        "= base action · reasoning",
    ):
        table.add_column(column, justify="left" if column == "config" else "right")
    for name in names:
        rs = [by_config[name][u] for u in units]
        n = len(rs)
        exact = [float(bool(r["exact_ok"])) for r in rs]
        nm = [float(bool(r["name_ok"])) for r in rs]
        base_exact = [float(bool(base[u]["exact_ok"])) for u in units]
        d_exact = paired_bootstrap(exact, base_exact)
        d_name = paired_bootstrap(nm, [float(bool(base[u]["name_ok"])) for u in units])
        der = [r for r in rs if r.get("derivable")]
        non = [r for r in rs if not r.get("derivable")]
        # Cached answers cost nothing: costs are over the served ones, "—" when the cache answered all.
        served = [r for r in rs if not r.get("cache_hits")]
        usage = [r.get("usage") or {} for r in served]
        gen = sum(u.get("completion_tokens", 0) for u in usage) / max(1, len(served))
        tokens = gen + sum(u.get("prompt_tokens", 0) for u in usage) / max(1, len(served))
        secs = sum(float(r.get("latency_s") or 0) for r in served) / max(1, len(served))
        costs = (f"{tokens:,.0f}", f"{gen:.0f}", f"{secs:.1f}") if served else ("—", "—", "—")
        table.add_row(
            escape(name),
            f"{sum(nm):.0f}/{n}",
            f"{sum(exact):.0f}/{n}",
            f"{100 * d_exact.estimate:+.1f} [{100 * d_exact.low:+.1f}, {100 * d_exact.high:+.1f}]",
            f"{100 * d_name.estimate:+.1f} [{100 * d_name.low:+.1f}, {100 * d_name.high:+.1f}]",
            f"{sum(a > b for a, b in zip(exact, base_exact, strict=True))} · "
            f"{sum(a < b for a, b in zip(exact, base_exact, strict=True))}",
            f"{sum(r['exact_ok'] for r in der)}/{len(der)} · {sum(r['exact_ok'] for r in non)}/{len(non)}",
            str(sum(1 for r in rs if r.get("message_for_call"))),
            str(sum(int(r.get("parse_failures") or 0) for r in rs)),
            str(sum(int(r.get("truncations") or 0) for r in rs)),
            str(sum(int(r.get("unseen_id_calls") or 0) for r in rs)),
            *costs,
            str(n - len(served)),
            f"{sum(same_action(r, base[u]) for r, u in zip(rs, units, strict=True))} · "
            f"{sum(same_reasoning(r, base[u]) for r, u in zip(rs, units, strict=True))}",
        )
    Console(width=240).print(table)


if __name__ == "__main__":
    main()
