"""Benchmark: attribution and sourcing quality of a warehouse against the generator's truth.

    python -m dagster_project.benchmarks.model_quality --warehouse W --truth T   # score these
    python -m dagster_project.benchmarks.model_quality --accounts 5000           # build, score
    ... --json out.json                                                          # and write JSON

Scores (``dagster_project.lib.model_quality``):

1. each of the ten models' share of pipeline per channel (``marts.attribution_model_comparison``,
   conversion type pipeline) against the share of the deals' true sourcing channel
   (``truth/opportunities.parquet``, weighted by the deal's amount in the warehouse: the truth
   has no amounts, and the amount is not in dispute), and the total absolute deviation;
2. per deal, marketing- vs sales-sourced and the sourcing channel of
   ``marts.opportunity_journeys`` (where sourcing is defined) against the truth.

With ``--accounts`` it generates a world of that size into a temporary folder (or
``--workdir``), runs the ``warehouse_build`` job of the real code location on it (as
``rjw run`` does) and scores the result. Nothing touches ``data/``; the warehouse is opened
read-only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from dagster_project.lib.model_quality import (
    MODELS,
    NO_MARKETING,
    TOTAL,
    model_shares,
    share_deviation,
    sourcing_confusion,
    true_shares,
)


def read_frames(warehouse: Path, truth: Path) -> dict[str, pd.DataFrame]:
    """The warehouse tables and truth files the scores need."""
    import duckdb

    amounts = ", ".join(f"{m}_amount" for m in MODELS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        comparison = con.execute(
            f"select channel, {amounts} from marts.attribution_model_comparison "
            "where conversion_type = 'pipeline'"
        ).df()
        sourced = con.execute(
            "select opportunity_id, sourced_by, sourcing_channel, amount_reporting as amount "
            "from marts.opportunity_journeys"
        ).df()
        truth_deals = con.execute(
            "select opportunity_id, sourced_by, true_channel from read_parquet(?)",
            [str(truth / "opportunities.parquet")],
        ).df()
    credits = comparison.melt(
        id_vars="channel", var_name="attribution_model", value_name="credited_amount"
    )
    credits["attribution_model"] = credits["attribution_model"].str.removesuffix("_amount")
    return {"credits": credits, "sourced": sourced, "truth": truth_deals}


def score(frames: dict[str, pd.DataFrame]) -> dict:
    """Both scores of one warehouse, as frames (``to_json`` turns them into plain data)."""
    deals = frames["truth"].merge(frames["sourced"][["opportunity_id", "amount"]])
    truth = true_shares(deals)
    shares = model_shares(frames["credits"])
    deviation = share_deviation(shares, truth)
    channels = [c for c in deviation.columns if c != TOTAL]
    table = shares.reindex(index=deviation.index, columns=channels, fill_value=0.0)
    table[TOTAL] = deviation[TOTAL]
    return {
        "true_shares": truth.reindex(channels, fill_value=0.0),
        "model_shares": table,
        "deviation": deviation,
        "sourcing": sourcing_confusion(frames["sourced"], frames["truth"]),
    }


def to_json(result: dict) -> dict:
    """Plain data of ``score``'s result (shares as fractions, amounts in reporting currency)."""
    sourcing = result["sourcing"]

    def matrix(frame: pd.DataFrame) -> dict:
        return {str(k): {str(c): v for c, v in row.items()} for k, row in frame.T.to_dict().items()}

    return {
        "true_shares": result["true_shares"].to_dict(),
        "models": [
            {
                "attribution_model": model,
                "total_abs_deviation": float(row[TOTAL]),
                "shares": result["model_shares"].loc[model].drop(TOTAL).to_dict(),
                "deviation": row.drop(TOTAL).to_dict(),
            }
            for model, row in result["deviation"].iterrows()
        ],
        "sourcing": {
            **{
                k: v
                for k, v in sourcing.items()
                if not isinstance(v, pd.DataFrame) and k != "top_confusions"
            },
            "sourced_by_counts": matrix(sourcing["sourced_by_counts"].astype(int)),
            "sourced_by_amounts": matrix(sourcing["sourced_by_amounts"].round(2)),
            "channel_counts": matrix(sourcing["channel_counts"].astype(int)),
            "top_confusions": sourcing["top_confusions"].round(2).to_dict(orient="records"),
        },
    }


SHORT = {NO_MARKETING: "sales/none", "events_webinars": "events", "organic_search": "organic"}


def _label(channel: str) -> str:
    return SHORT.get(channel, channel)


def format_report(result: dict) -> str:
    """The printed tables."""
    lines: list[str] = []
    shares = result["model_shares"]
    channels = [c for c in shares.columns if c != TOTAL]
    widths = [max(len(_label(c)), 6) for c in channels]
    head = "".join(f" {_label(c):>{w}}" for c, w in zip(channels, widths, strict=True))
    lines += [
        "1. Share of pipeline per channel (%): the truth (each deal's true sourcing channel),",
        "   then each model, best first; total = sum over channels of |model - truth| (0..2)",
        f"{'model':<16}{head} {'total':>6}",
    ]

    def row(name: str, values: pd.Series, total: str) -> str:
        cells = "".join(
            f" {100 * values[c]:>{w}.1f}" for c, w in zip(channels, widths, strict=True)
        )
        return f"{name:<16}{cells} {total:>6}"

    lines.append(row("truth", result["true_shares"], "-"))
    for model, values in shares.iterrows():
        lines.append(row(model, values, f"{values[TOTAL]:.3f}"))

    s = result["sourcing"]
    lines += [
        "",
        f"2. Sourcing, {s['deals']} deals (rows: truth, columns: warehouse)"
        + (
            f"; unmatched: {s['unmatched_warehouse']} warehouse, {s['unmatched_truth']} truth"
            if s["unmatched_warehouse"] or s["unmatched_truth"]
            else ""
        ),
        f"{'deals':<12}{'marketing':>11}{'sales':>8}   {'amount':<10}{'marketing':>14}"
        f"{'sales':>14}",
    ]
    counts, amounts = s["sourced_by_counts"], s["sourced_by_amounts"]
    for side in ("marketing", "sales"):
        lines.append(
            f"{side:<12}{counts.loc[side, 'marketing']:>11}{counts.loc[side, 'sales']:>8}   "
            f"{side:<10}{amounts.loc[side, 'marketing']:>14,.2f}"
            f"{amounts.loc[side, 'sales']:>14,.2f}"
        )
    lines += [
        f"agreement: {s['sourced_by_agreement']:.1%} of deals, "
        f"{s['sourced_by_amount_agreement']:.1%} of pipeline; marketing-sourced share of "
        f"pipeline: truth {s['marketing_share_truth']:.1%}, warehouse "
        f"{s['marketing_share_warehouse']:.1%}; sales-sourced deals: truth "
        f"{counts.loc['sales'].sum()}, warehouse {counts['sales'].sum()}",
        "",
        "   sourcing channel (deals; rows: truth, columns: warehouse)",
    ]
    matrix = s["channel_counts"]
    cols = list(matrix.columns)
    cw = [max(len(_label(c)), 5) for c in cols]
    lines.append(f"{'':<16}" + "".join(f" {_label(c):>{w}}" for c, w in zip(cols, cw, strict=True)))
    for channel, values in matrix.iterrows():
        cells = "".join(f" {values[c]:>{w}}" for c, w in zip(cols, cw, strict=True))
        lines.append(f"{_label(channel):<16}{cells}")
    lines += [
        f"channel agreement: {s['channel_agreement']:.1%} of deals, "
        f"{s['channel_amount_agreement']:.1%} of pipeline",
        "top confusions (truth -> warehouse: deals, amount):",
    ]
    for c in s["top_confusions"].itertuples():
        lines.append(f"  {c.truth:>16} -> {c.warehouse:<16} {c.deals:>4} {c.amount:>14,.2f}")
    return "\n".join(lines)


def build_world(workdir: Path, accounts: int, seed: int) -> tuple[Path, Path, float]:
    """Generate a world and run the ``warehouse_build`` job of the real code location on it
    (as ``rjw run`` does); returns the warehouse, the truth folder and the run's seconds."""
    import dagster as dg

    from dagster_project.cli import _freshness_as_of_sample, prepare
    from dagster_project.generate import generate
    from dagster_project.lib.settings import Settings

    landing, truth = workdir / "landing", workdir / "truth"
    generate(landing, truth, accounts=accounts, seed=seed)
    # every path in the work folder; Settings() reads no environment (no PostgreSQL, no alerts)
    settings = Settings(
        warehouse=workdir / "warehouse.duckdb",
        landing=landing,
        reports=workdir / "reports",
        serving=workdir / "serving",
        dagster_home=workdir / "dagster_home",
    )
    settings = _freshness_as_of_sample(settings, argparse.Namespace(truth=str(truth)))
    prepare(settings)
    # only now: the dbt assets are made from the manifest that prepare() just parsed
    from dagster_project.definitions import build_definitions

    log = workdir / "logs" / "run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with (
        dg.DagsterInstance.ephemeral() as instance,
        log.open("w") as out,
        contextlib.redirect_stdout(out),  # dagster-dbt echoes dbt's output
    ):
        result = (
            build_definitions(settings)
            .resolve_job_def("warehouse_build")
            .execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
        )
    seconds = time.perf_counter() - t0
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise SystemExit(f"warehouse_build failed (steps: {', '.join(failed)}; log: {log})")
    return settings.warehouse, truth, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (read-only)")
    parser.add_argument("--truth", type=Path, help="its ground-truth folder")
    parser.add_argument("--accounts", type=int, help="generate and build a world of this size")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="keep the generated world here")
    parser.add_argument("--json", type=Path, help="also write the scores as JSON")
    args = parser.parse_args(argv)
    if args.accounts is None and not (args.warehouse and args.truth):
        parser.error("give --warehouse and --truth, or --accounts")
    with tempfile.TemporaryDirectory(prefix="rjw-quality-") as tmp:
        if args.accounts is not None:
            workdir = args.workdir or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            warehouse, truth, seconds = build_world(workdir, args.accounts, args.seed)
            print(f"built {args.accounts:,} accounts (seed {args.seed}) in {seconds:.0f} s")
        else:
            warehouse, truth = args.warehouse, args.truth
        result = score(read_frames(warehouse, truth))
    print(format_report(result))
    if args.json:
        data = {"warehouse": str(warehouse), "truth": str(truth), **to_json(result)}
        args.json.write_text(json.dumps(data, indent=2, default=float))
        print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
