"""The write-back: what a first and a second push send, and how long they take, live against the
local stand-ins of the Salesforce Bulk API 2.0 and the three conversion APIs.

    python -m dagster_project.benchmarks.writeback --warehouse W [--landing L] [--as-of ISO]

``W`` is a built warehouse (``rjw run``); it is copied, its write-back state dropped, and the
stand-ins serve the world of the landing zone ``L`` (default: the configured one). Push one sends
every value and every conversion within the platforms' age limits (measured as of ``--as-of``,
default the sample's last export); push two, on the same marts, should send nothing. Prints one
line per target and object and the seconds of each push.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.defs.resources import api_resources
from dagster_project.lib.connectors.conversions import PLATFORMS, ConversionSender
from dagster_project.lib.connectors.push_state import push_conversions, push_crm
from dagster_project.lib.connectors.salesforce_bulk import SalesforceBulk
from dagster_project.lib.settings import Settings
from dagster_project.standins.server import StandIns, standin_settings


def clients(
    standins: StandIns, poll_seconds: float = 0.2
) -> tuple[SalesforceBulk, dict[str, ConversionSender]]:
    """The Bulk API client and a sender per platform for the stand-ins, made as the write-back
    assets make them: the stand-ins' settings (``standin_settings``), their ``SourceApi``
    resources and ``SourceApi.push_client``."""
    settings = standin_settings(Settings(), standins)
    apis = api_resources(settings)
    bulk = apis["salesforce"].push_client({}, poll_seconds)
    senders = {p: apis[p].push_client(dict(settings.push.targets[p])) for p in PLATFORMS}
    return bulk, senders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--landing", default=str(Settings.from_env().landing))
    parser.add_argument("--as-of", default="2026-10-31T14:00:00+00:00")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.as_of).astimezone(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(args.warehouse, work / "warehouse.duckdb")
        con = duckdb.connect(str(work / "warehouse.duckdb"))
        con.execute("drop schema if exists writeback cascade")
        started = time.perf_counter()
        with StandIns.from_landing(Path(args.landing)) as standins:
            print(f"stand-ins serving the world in {time.perf_counter() - started:.1f} s")
            standins.now = now
            for push in (1, 2):
                bulk, senders = clients(standins)
                started = time.perf_counter()
                counts = push_crm(con, bulk, work / "payloads", f"push{push}", log=lambda _: None)
                crm_seconds = time.perf_counter() - started
                started = time.perf_counter()
                for platform in PLATFORMS:
                    counts += push_conversions(
                        con,
                        platform,
                        senders[platform],
                        {},
                        work / "payloads",
                        f"push{push}",
                        now.replace(tzinfo=None),
                        log=lambda _: None,
                    )
                conversion_seconds = time.perf_counter() - started
                print(
                    f"push {push}: Salesforce {crm_seconds:.1f} s, conversions "
                    f"{conversion_seconds:.1f} s"
                )
                for c in counts:
                    print(
                        f"  {c.target:<12} {c.object:<15} sent {c.rows_sent:>8,}  accepted "
                        f"{c.rows_succeeded:>8,}  refused {c.rows_failed:>5,}  too old "
                        f"{c.rows_expired:>7,}"
                    )
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
