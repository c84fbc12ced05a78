"""API extracts: requests, records and seconds per API for a first night and an incremental one.

    python -m dagster_project.benchmarks.api_night [--accounts 1000] [--changes 25]

Generates the sample world (or reads ``--landing``), starts the local API stand-ins on it and runs
every API stream (``lib/connectors``, committed into a scratch DuckDB exactly as the extract
assets do) twice: the first night reads everything; before the second, the benchmark changes the
world as a day would (leads worked, opportunities moved, a new lead, charges refunded with their
Stripe events, a new customer), and the second night should fetch only those changes (plus the
ads' look-back window of daily metrics). Prints one row per API and night.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.generate import generate
from dagster_project.lib.connectors.commit import commit_batches
from dagster_project.lib.connectors.registry import API_OBJECTS
from dagster_project.lib.landing.contracts import get_contract
from dagster_project.lib.settings import Settings
from dagster_project.standins.server import StandIns, request_summary, standin_settings


def run_night(con: duckdb.DuckDBPyConnection, standins: StandIns, connectors: dict, work: Path):
    """Every API stream once; per API: (requests, records returned, rows loaded, seconds)."""
    before = len(standins.requests)
    loaded: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    for system, objects in API_OBJECTS.items():
        for obj, api in objects.items():
            contract, connector = get_contract(system, obj), connectors[api]
            started = time.perf_counter()
            result = commit_batches(
                con,
                contract,
                f"{api}/{obj}",
                lambda state, c=contract, k=connector: k.batches(c, state),
                work,
                connector.redact,
            )
            seconds[api] += time.perf_counter() - started
            loaded[api] += result.load.rows_loaded + result.load.rows_rejected
    summary = request_summary(standins.requests[before:])
    return {
        api: (row["requests"], row["records"], loaded[api], seconds[api])
        for api, row in sorted(summary.items())
    }


def change_the_world(standins: StandIns, n: int) -> dict[str, int]:
    """A day's changes with today's timestamps, as the source systems would record them."""
    # (stamped ten minutes ago: the extracts read only what settled five minutes before them)
    world, now = standins.world, datetime.now(UTC) - timedelta(minutes=10)
    leads = world.records["leads"][:n]
    for lead in leads:
        world.upsert("leads", dict(lead, Status="Working", LastModifiedDate=now), key="Id")
    opportunities = [o for o in world.records["opportunities"] if not o.get("IsClosed")][:n]
    for opp in opportunities:
        world.upsert(
            "opportunities", dict(opp, StageName="Negotiation", LastModifiedDate=now), key="Id"
        )
    new_lead = dict(leads[0], Id="00Q9BENCHMARK00001", CreatedDate=now, LastModifiedDate=now)
    world.upsert("leads", new_lead, key="Id")
    charges = [c for c in world.records["charges"] if isinstance(c.get("created"), int)][:n]
    for charge in charges:
        refunded = dict(charge, amount_refunded=charge["amount"], refunded=True)
        world.upsert("charges", refunded, event_type="charge.refunded")
    # created after the first night's listing horizon (five minutes before it), not after the
    # second's
    created = int(time.time()) - 301
    customer = dict(world.records["customers"][0], id="cus_BENCHMARK0001", created=created)
    world.upsert("customers", customer)
    return {
        "leads updated": len(leads),
        "leads created": 1,
        "opportunities updated": len(opportunities),
        "charges refunded (events)": len(charges),
        "customers created": 1,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--landing", help="an existing landing zone (default: generate one)")
    parser.add_argument("--changes", type=int, default=25)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        landing = Path(args.landing) if args.landing else root / "landing"
        if not args.landing:
            t0 = time.perf_counter()
            generate(landing, root / "truth", accounts=args.accounts, seed=args.seed)
            print(f"sample world of {args.accounts} accounts in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        with StandIns.from_landing(landing) as standins:
            print(f"stand-ins serving it in {time.perf_counter() - t0:.1f} s")
            settings = standin_settings(Settings(), standins)
            from dagster_project.defs.resources import api_resources

            connectors = {api: r.connector() for api, r in api_resources(settings).items()}
            con = duckdb.connect(str(root / "warehouse.duckdb"))
            nights = {"first night": run_night(con, standins, connectors, root / "work")}
            time.sleep(1.1)  # (Stripe's created is in whole seconds)
            changes = change_the_world(standins, args.changes)
            nights["second night"] = run_night(con, standins, connectors, root / "work")
            print(
                "changes before the second night: "
                + ", ".join(f"{v} {k}" for k, v in changes.items())
            )
            print(
                f"\n{'night':<13} {'API':<13} {'requests':>8} {'records':>8} {'rows':>8} "
                f"{'seconds':>8}"
            )
            for night, per_api in nights.items():
                for api, (requests, records, rows, seconds) in per_api.items():
                    print(
                        f"{night:<13} {api:<13} {requests:>8} {records:>8} {rows:>8} "
                        f"{seconds:>8.2f}"
                    )
            con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
