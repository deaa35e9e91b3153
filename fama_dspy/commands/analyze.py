"""``fama analyze``: failure analysis of a finished run → a failure profile and a readable report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fama_dspy.commands.options import add_model_args, use_benchmark_checkout

console = Console(width=None if sys.stdout.isatty() else 200)  # wide tables in logs

#: Where `fama run` logs each invocation's model and settings, next to the records.
RUN_LOG = "run-log.jsonl"
_EXCERPT_LINES = 3
_EXCERPT_CHARS = 160

from fama_dspy.benchmarks import available_benchmarks


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "analyze",
        help="judge the failed episodes of a run and write its failure profile",
        description="Diagnoses go to <run>/diagnoses.jsonl as each is made (rerunning resumes); the profile "
        "names the smallest specialist subset that covers the failures.",
    )
    parser.add_argument("run_dir", type=Path, help="a `fama run --out` folder (holds episodes.jsonl)")
    parser.add_argument(
        "--out", type=Path, default=None, help="profile path (default: data/profiles/<model>__<domain>.json)"
    )
    add_model_args(parser)
    # No default: the agent model is the one `fama run` logged in the run folder, else "local".
    parser.set_defaults(model=None)
    group = parser.add_argument_group("analysis")
    group.add_argument(
        "--judge-model", default=None, help="model spec of the judges (default: the agent's model)"
    )
    group.add_argument("--config", default=None, help="configuration to analyse when the run holds several")
    group.add_argument(
        "--benchmark",
        default=None,
        choices=available_benchmarks(),
        help="benchmark the run was made on (default: the run's manifest, else tau2)",
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the benchmark's checkout folder (ACEBench, τ-trait), needed for re-runs",
    )
    group.add_argument(
        "--rerun-budget",
        type=int,
        default=0,
        help="episodes re-run with single specialists to learn which fixes what (0: prior only)",
    )
    group.add_argument(
        "--base", default=None, choices=["react", "fc"], help="base agent of the re-runs (default: the run's)"
    )
    group.add_argument(
        "--user-model",
        default=None,
        help="user simulator model of the re-runs, for runs with an LLM user (default: --model)",
    )
    group.add_argument(
        "--counterfactual",
        type=int,
        default=0,
        help="decision runs: re-ask up to N failed points with each specialist alone; the flips become the "
        "evidence the subset is chosen on (0: rules and the prior only)",
    )
    group.add_argument(
        "--with-current",
        default=None,
        help="decision runs: also re-run with this subset plus each candidate (e.g. mem)",
    )
    group.add_argument(
        "--candidates",
        default=None,
        help="decision runs: specialists the counterfactual re-runs try, comma-separated (default: every "
        "specialist; 'linked': those the prior links to the diagnosed categories)",
    )
    group.add_argument("--allow-test-split", action="store_true", help="analyse a run on test tasks anyway")
    group.add_argument("--coverage", type=float, default=0.8, help="failure-mass share the subset must cover")
    group.add_argument("--budget", type=int, default=2, help="most specialists in the subset")
    group.add_argument(
        "--prior-weight",
        type=float,
        default=2.0,
        help="re-runs the prior error→specialist relation is worth per pair when re-run evidence exists "
        "(0: the evidence alone decides where a pair was tried; default: %(default)s)",
    )
    group.add_argument("--concurrency", type=int, default=2, help="episodes judged (or re-run) at once")
    group.add_argument("--examples", type=int, default=2, help="example excerpts shown per category")
    parser.set_defaults(handler=run_command)


def logged_model(run_dir: Path) -> tuple[str | None, str | None]:
    """(model spec, api_base) of the last `fama run` invocation logged in ``<run>/run-log.jsonl``."""
    from fama_dspy.results.records import read_jsonl

    entries = [e for e in read_jsonl(run_dir / RUN_LOG) if e.get("model")]
    return (entries[-1]["model"], entries[-1].get("api_base")) if entries else (None, None)


def _agent_model(args: argparse.Namespace) -> tuple[str, str | None]:
    """The agent's model spec and endpoint: --model, else the run's logged model, else local."""
    logged, logged_base = logged_model(args.run_dir)
    if args.model is None:
        return logged or "local", args.api_base or (logged_base if logged else None)
    if logged and logged != args.model:
        console.print(
            f"[yellow]The run was made with model {escape(logged)} (run-log.jsonl), not "
            f"{escape(args.model)}: the profile is named after --model.[/yellow]"
        )
    return args.model, args.api_base


def _model_name(spec: str, api_base: str | None, api_key: str | None) -> str:
    from fama_dspy.lm import resolve

    route = resolve(spec, api_base=api_base, api_key=api_key, start_server=False)
    return route.local_model or route.litellm_model


def _run_split(run_dir: Path) -> str | None:
    """The split a run was made on: the bench manifest, else the last logged `fama run`."""
    from fama_dspy.report.manifest import read_manifest
    from fama_dspy.results.records import read_jsonl

    manifest = read_manifest(run_dir) or {}
    if manifest.get("split"):
        return manifest["split"]
    entries = [e for e in read_jsonl(run_dir / RUN_LOG) if e.get("split")]
    return entries[-1]["split"] if entries else None


def _run_benchmark(run_dir: Path, given: str | None = None) -> str:
    """The benchmark a run was made on: ``--benchmark``, else the bench manifest's, else τ² (runs made
    before benchmarks were named)."""
    from fama_dspy.report.manifest import read_manifest
    from fama_dspy.results.records import read_jsonl

    if given or (read_manifest(run_dir) or {}).get("benchmark"):
        return given or read_manifest(run_dir)["benchmark"]
    for name in ("episodes.jsonl", "decisions.jsonl"):
        named = [r["benchmark"] for r in read_jsonl(run_dir / name)[:1] if r.get("benchmark")]
        if named:
            return named[0]
    return "tau2"


def _counterfactual_candidates(text: str | None, records: list[dict], points: dict, domain: str) -> list[str]:
    """``--candidates``: every specialist, the ones the prior links to the diagnosed categories, or a list."""
    from fama_dspy.analysis.taxonomy import SPECIALIST_CODES
    from fama_dspy.decision_analysis import diagnose_decision_failures, linked_specialists
    from fama_dspy.specialists import normalize_codes

    if not text:
        return list(SPECIALIST_CODES)
    if text.strip() == "linked":
        return linked_specialists(diagnose_decision_failures(records, points, domain)) or ["mem"]
    return list(normalize_codes(text))


def decision_run_command(args: argparse.Namespace) -> int:
    """``fama analyze`` on a decision-level run: rule diagnosis, counterfactual re-runs, the profile."""
    import dspy

    from fama_dspy.analysis.runs import default_profile_path
    from fama_dspy.benchmarks import get_benchmark
    from fama_dspy.configs import build_agent
    from fama_dspy.decision_analysis import counterfactual_profile, no_flip_note
    from fama_dspy.errors import ConfigError
    from fama_dspy.lm import make_lm
    from fama_dspy.results.decisions import load_decision_results
    from fama_dspy.specialists import normalize_codes

    records = load_decision_results(args.run_dir)
    configs = sorted({r["config"] for r in records})
    config = args.config or (configs[0] if len(configs) == 1 else None)
    if config is None or config not in configs:
        raise ConfigError(
            f"{args.run_dir} holds decisions of {', '.join(configs) or 'no configuration'}; "
            "pick one with --config"
        )
    records = [r for r in records if r["config"] == config]
    split = _run_split(args.run_dir)
    domain = records[0]["domain"]
    solo = bool(records[0].get("solo"))
    benchmark_name = _run_benchmark(args.run_dir, args.benchmark)
    if not args.allow_test_split:
        test_ids = set(get_benchmark(benchmark_name).splits(domain).get("test", []))
        seen = sorted({r["task_id"] for r in records} & test_ids)
        if split == "test" or seen:
            raise ConfigError(
                f"this run holds {len(seen) or 'only'} test task(s): analyse train runs (claims stay on "
                "unseen tasks), or pass --allow-test-split"
            )
    task_ids = sorted({r["task_id"] for r in records})
    benchmark = get_benchmark(benchmark_name)
    points = {p.id: p for p in benchmark.decision_points(domain, "base", task_ids=task_ids, solo=solo)}
    model_spec, api_base = _agent_model(args)
    model = _model_name(model_spec, api_base, args.api_key)
    base = args.base or ("fc" if config.startswith("fc") or "[fc:" in config else "react")
    settings = {
        k: v
        for k, v in (("decoding", records[0].get("decoding")), ("id_policy", records[0].get("id_policy")))
        if v
    }
    current = list(normalize_codes(args.with_current)) if args.with_current else []
    lm = (
        make_lm(model_spec, api_base=api_base, api_key=args.api_key, temperature=args.temperature)
        if args.counterfactual > 0
        else None
    )

    def agent_for(codes: list[str]):
        return build_agent("fama", base=base, specialists=codes, **settings)

    candidates = _counterfactual_candidates(args.candidates, records, points, domain)

    console.print(
        f"decision run {escape(str(args.run_dir))}: {escape(config)}, {len(records)} answers on {domain} "
        f"({split or 'split unknown'}); counterfactual re-runs on up to {args.counterfactual} failed points"
    )
    with dspy.context(lm=lm):
        profile, rows = counterfactual_profile(
            records,
            points,
            agent_for,
            args.run_dir,
            domain=domain,
            model=model,
            budget=args.counterfactual,
            current=current,
            candidates=candidates,
            coverage_threshold=args.coverage,
            max_specialists=args.budget,
            prior_weight=args.prior_weight,
            concurrency=args.concurrency,
        )
    path = args.out or default_profile_path(model, domain)
    profile.save(path)
    table = Table(title="Counterfactual re-runs: failed points flipped to exact, per specialist")
    for column in ("specialist", "re-runs", "flipped"):
        table.add_column(column)
    for code in sorted({r["specialist"] for r in rows}):
        mine = [r for r in rows if r["specialist"] == code]
        table.add_row(code, str(len(mine)), str(sum(1 for r in mine if r["fixed"])))
    if rows:
        console.print(table)
    console.print(f"categories: {profile.category_counts} → recommended subset: {profile.recommended}")
    console.print(escape(profile.explanation))
    if note := no_flip_note(profile.notes):
        console.print(f"[yellow]{escape(note)}[/yellow]")
    console.print(f"profile → {escape(str(path))}")
    return 0


def run_command(args: argparse.Namespace) -> int:
    from fama_dspy.analysis.runs import default_profile_path, load_diagnosis_rows, select_run
    from fama_dspy.benchmarks import get_benchmark

    args.benchmark = _run_benchmark(args.run_dir, args.benchmark)
    use_benchmark_checkout(args)
    if (args.run_dir / "decisions.jsonl").exists() and not (args.run_dir / "episodes.jsonl").exists():
        return decision_run_command(args)
    if args.counterfactual:
        from fama_dspy.errors import ConfigError

        raise ConfigError(
            "--counterfactual works on decision-level runs (decisions.jsonl); use --rerun-budget here"
        )
    from fama_dspy.lm import make_lm, resolve

    # Refuse an empty or ambiguous run before any model server is started.
    records, config, domain = select_run(args.run_dir, args.config)
    model_spec, api_base = _agent_model(args)
    model = _model_name(model_spec, api_base, args.api_key)
    judge_spec = args.judge_model or model_spec
    # --api-base/--api-key describe --model's endpoint; a separately named judge brings its own.
    judge_endpoint = (api_base, args.api_key) if judge_spec == model_spec else (None, None)
    judge_name = _model_name(judge_spec, *judge_endpoint)
    judge_lm = make_lm(judge_spec, *judge_endpoint, temperature=args.temperature)
    rerun_kwargs: dict[str, Any] = {}
    if args.rerun_budget > 0:
        agent_lm = (
            judge_lm
            if judge_spec == model_spec
            else make_lm(model_spec, api_base=api_base, api_key=args.api_key, temperature=args.temperature)
        )
        rerun_kwargs["agent_lm"] = agent_lm
        users = {r.get("user") for r in records}
        user_spec = args.user_model or model_spec
        if "tau2" in users:
            llm, llm_args = resolve(
                user_spec,
                api_base=api_base if user_spec == model_spec else None,
                api_key=args.api_key if user_spec == model_spec else None,
            ).tau2_llm()
            rerun_kwargs.update(user_llm=llm, user_llm_args=llm_args)
        if users & {"fama", "acebench"}:  # users run on a dspy.LM
            rerun_kwargs["user_lm"] = agent_lm if user_spec == model_spec else make_lm(user_spec)

    console.print(
        f"[bold]Failure analysis[/bold] of {escape(str(args.run_dir))} · {escape(config)} · {domain} · "
        f"agent model {escape(model)} · judges {escape(judge_name)}"
    )
    benchmark = get_benchmark(_run_benchmark(args.run_dir, args.benchmark))
    diagnoses, profile = benchmark.analyze_run(
        args.run_dir,
        judge_lm,
        judge_name,
        model=model,
        config=config,
        rerun_budget=args.rerun_budget,
        base=args.base,
        coverage_threshold=args.coverage,
        budget=args.budget,
        prior_weight=args.prior_weight,
        concurrency=args.concurrency,
        progress=True,
        **rerun_kwargs,
    )
    out = args.out or default_profile_path(model, domain)
    profile.save(out)
    rows = load_diagnosis_rows(args.run_dir, judge_name)
    print_report(console, records, diagnoses, profile, rows, examples=args.examples)
    console.print(f"profile: {out}")
    return 0


# -- the report ------------------------------------------------------------------------------------


def _clip(text: str, limit: int = _EXCERPT_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def category_table(diagnoses: list, profile) -> Table:
    from fama_dspy.analysis.taxonomy import CATEGORIES

    agent = [d for d in diagnoses if d.agent_caused]
    table = Table(title=f"Error categories over {len(agent)} agent-caused failure(s)")
    for column in ("category", "primary error", "share", "judged present", "unknown"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for c in CATEGORIES:
        present = sum(bool(d.verdicts.get(c) and d.verdicts[c].occurred) for d in agent)
        unknown = sum(1 for d in agent if c in d.unknown_categories)
        table.add_row(
            c,
            str(profile.category_counts.get(c, 0)),
            f"{100 * profile.category_frequencies.get(c, 0.0):.0f}%",
            str(present),
            str(unknown),
        )
    return table


def _excerpt(diagnosis, category: str, evidence) -> list[str]:
    verdict = diagnosis.verdicts.get(category)
    rationale = verdict.rationale if verdict is not None else diagnosis.primary_rationale
    turns = verdict.evidence_turns if verdict is not None else []
    where = ", ".join(map(str, turns)) or "-"
    lines = [
        f"task {diagnosis.task_id} (trial {diagnosis.trial}), turns {where}: {_clip(rationale or '(no rationale)')}"
    ]
    if evidence is not None and turns:
        by_turn = {}
        for line in evidence.condensed_trajectory.splitlines():
            if line.startswith("[") and "]" in line:
                by_turn.setdefault(line[1 : line.index("]")], line)
        lines += [f"    {_clip(by_turn[str(t)])}" for t in turns[:_EXCERPT_LINES] if str(t) in by_turn]
    return lines


def print_report(
    out: Console,
    records: list[dict[str, Any]],
    diagnoses: list,
    profile,
    rows: list[dict[str, Any]],
    examples: int = 2,
) -> None:
    """Counts per category, excluded failures, the recommended subset and why, example excerpts."""
    from fama_dspy.analysis.taxonomy import CATEGORIES

    failed = [d for d in diagnoses if d.failed]
    excluded = [d for d in failed if not d.agent_caused]
    out.print(
        f"{len(records)} episode(s), {len(failed)} failed and diagnosed, {len(excluded)} excluded as "
        f"not agent-caused, {profile.n_without_primary} without a primary error."
    )
    out.print(category_table(diagnoses, profile))
    if excluded:
        out.print("[bold]Excluded (user simulator or task, not the agent):[/bold]")
        for d in excluded[: 2 * examples]:
            out.print(
                f"  task {escape(d.task_id)} (trial {d.trial}) {d.non_agent}: {escape(_clip(d.non_agent_rationale))}"
            )
        if len(excluded) > 2 * examples:
            out.print(f"  … {len(excluded) - 2 * examples} more")

    subset = ", ".join(code.upper() for code in profile.recommended) or "none"
    out.print(
        f"[bold]Recommended specialists:[/bold] {subset} (coverage {profile.coverage:.0%}, "
        f"threshold {profile.coverage_threshold:.0%}, budget {profile.budget})"
    )
    out.print(f"  {escape(profile.explanation)}")
    tried = {code: e for code, e in profile.evidence.items() if e.get("tried")}
    if tried:
        table = Table(title="Re-run evidence (learning step)")
        for column in ("specialist", "re-runs", "fixed"):
            table.add_column(column, justify="left" if column == "specialist" else "right")
        for code, e in tried.items():
            table.add_row(code.upper(), str(e["tried"]), str(e["fixed"]))
        out.print(table)
    for note in profile.notes:
        out.print(f"  [dim]note:[/dim] {escape(note)}")

    evidence = {(r["task_id"], int(r["trial"])): r["evidence"] for r in rows}
    agent = [d for d in failed if d.agent_caused]
    for c in CATEGORIES:
        # Primary errors first: they are what the profile counts; then episodes where the judge saw it.
        chosen = [d for d in agent if c in d.primary]
        chosen += [d for d in agent if c not in d.primary and d.verdicts.get(c) and d.verdicts[c].occurred]
        if not chosen:
            continue
        out.print(f"[bold]{c} examples[/bold]")
        for d in chosen[:examples]:
            for line in _excerpt(d, c, evidence.get((d.task_id, d.trial))):
                out.print(f"  {line}", markup=False)
