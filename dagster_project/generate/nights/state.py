"""What the source systems hold now: the landing zone read back through the real loader.

A night changes records as the source holds them after every earlier export (the base world's
full and delta files and every earlier night), so it reads them the way the warehouse does: the
loader parses every file into an in-memory DuckDB (malformed rows rejected), and a record's
current version is the one with the latest updated-at, else the latest export. Later nights load
only the files written since (the loader skips unchanged files).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib.landing.contracts import Contract, get_contract
from dagster_project.lib.landing.loader import load_object

# the objects a night reads back (it never needs the large event logs)
STATE_OBJECTS = (
    ("crm", "accounts"),
    ("crm", "contacts"),
    ("crm", "leads"),
    ("crm", "tasks"),
    ("crm", "opportunities"),
    ("crm", "opportunity_history"),
    ("crm", "opportunity_contact_roles"),
    ("ads", "google_ads_campaign_stats"),
    ("ads", "meta_ads_insights"),
    ("ads", "linkedin_ads_analytics"),
    ("billing", "subscriptions"),
    ("billing", "invoices"),
    ("billing", "charges"),
)
# a nightly delta's name: <object>_<YYYYMMDD>T020000Z_delta.<ext>
NIGHT_FILE = re.compile(r"_(\d{8})T020000Z_delta\.[a-z]+$")
# one day's stats per ad platform as (ad_campaign_id, day, impressions, clicks, spend)
PLATFORM_STATS = {
    "google": """
        select campaign_id::varchar as ad_campaign_id, segments_date as day,
            metrics_impressions as impressions, metrics_clicks as clicks,
            metrics_cost_micros / 1e6 as spend
        from current_google_ads_campaign_stats""",
    "meta": """
        select campaign_id as ad_campaign_id, date_start as day, impressions, clicks,
            spend::double as spend
        from current_meta_ads_insights""",
    "linkedin": """
        select
            replace(json_extract_string("pivotValues", '$[0]'), 'urn:li:sponsoredCampaign:', '')
                as ad_campaign_id,
            make_date(
                json_extract("dateRange", '$.start.year')::int,
                json_extract("dateRange", '$.start.month')::int,
                json_extract("dateRange", '$.start.day')::int
            ) as day,
            impressions, clicks, "costInLocalCurrency"::double as spend
        from current_linkedin_ads_analytics""",
}


def last_night_day(landing: Path) -> date | None:
    """The export day of the latest nightly delta in the landing zone (None: no night yet)."""
    stamps = [
        match.group(1)
        for path in Path(landing).rglob("*")
        if path.is_file() and (match := NIGHT_FILE.search(path.name))
    ]
    return datetime.strptime(max(stamps), "%Y%m%d").date() if stamps else None


def _current_view(contract: Contract) -> str:
    """SQL of a view with each record's current version, timestamps as naive UTC."""
    columns = ", ".join(
        f'"{column.name}"::timestamp as "{column.name}"'
        if column.type == "TIMESTAMPTZ"
        else f'"{column.name}"'
        for column in contract.columns
    )
    keys = ", ".join(f'"{key}"' for key in contract.primary_key)
    newest = f'"{contract.updated_at}" desc nulls last, ' if contract.updated_at else ""
    return (
        f"create or replace view current_{contract.object} as select {columns} "
        f"from {contract.table} qualify row_number() over (partition by {keys} "
        f"order by {newest}_source_seq desc, _source_line desc) = 1"
    )


class SourceState:
    """The current version of every record of ``STATE_OBJECTS`` in the landing zone."""

    def __init__(self, landing: Path):
        self.landing = Path(landing)
        self.con = duckdb.connect()
        self.con.execute("set timezone='UTC'")
        self.contracts = [get_contract(system, obj) for system, obj in STATE_OBJECTS]
        self.refresh()
        for contract in self.contracts:
            self.con.execute(_current_view(contract))

    def refresh(self) -> None:
        """Load the files written since the last refresh."""
        for contract in self.contracts:
            load_object(self.con, contract, self.landing)

    def current(self, obj: str, where: str = "true") -> pd.DataFrame:
        """The current version of the records of ``obj`` (matching ``where``), by primary key."""
        contract = next(contract for contract in self.contracts if contract.object == obj)
        keys = ", ".join(f'"{key}"' for key in contract.primary_key)
        return self.con.execute(f"select * from current_{obj} where {where} order by {keys}").df()

    def max_number(self, obj: str) -> int:
        """The highest number of the Salesforce-like ids of ``obj``, over every version."""
        table = next(contract.table for contract in self.contracts if contract.object == obj)
        found = self.con.execute(f'select max(substr("Id", 4)::bigint) from {table}').fetchone()
        return int(found[0] or 0)

    def ad_stats(self, platform: str, first_day: date) -> pd.DataFrame:
        """The current daily stats rows of one platform from ``first_day`` on."""
        return self.con.execute(
            f"select * from ({PLATFORM_STATS[platform]}) where day >= ? "
            "order by ad_campaign_id, day",
            [first_day],
        ).df()
