"""CRM staging models on the small generated world: de-duplication, normalisation, URL parsing
and the staged values checked against the landing files and the generator's ground truth."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest

# model -> (raw table, raw primary key, staged primary key)
MODELS = {
    "stg_crm__users": ("raw_crm.users", "Id", "user_id"),
    "stg_crm__accounts": ("raw_crm.accounts", "Id", "account_id"),
    "stg_crm__contacts": ("raw_crm.contacts", "Id", "contact_id"),
    "stg_crm__leads": ("raw_crm.leads", "Id", "lead_id"),
    "stg_crm__campaigns": ("raw_crm.campaigns", "Id", "campaign_id"),
    "stg_crm__campaign_members": ("raw_crm.campaign_members", "Id", "campaign_member_id"),
    "stg_crm__form_submissions": (
        "raw_crm.form_submissions",
        "submission_id",
        "form_submission_id",
    ),
    "stg_crm__email_events": ("raw_crm.email_events", "event_id", "email_event_id"),
    "stg_crm__tasks": ("raw_crm.tasks", "Id", "activity_id"),
    "stg_crm__opportunities": ("raw_crm.opportunities", "Id", "opportunity_id"),
    "stg_crm__opportunity_stage_history": (
        "raw_crm.opportunity_history",
        "Id",
        "stage_history_id",
    ),
    "stg_crm__opportunity_contact_roles": (
        "raw_crm.opportunity_contact_roles",
        "Id",
        "opportunity_contact_role_id",
    ),
}

# staged model and email column -> object name in the ground truth's records.parquet
EMAILS = {
    "leads": ("stg_crm__leads", "lead_id", "email"),
    "contacts": ("stg_crm__contacts", "contact_id", "email"),
    "form_submissions": ("stg_crm__form_submissions", "form_submission_id", "email"),
    "email_events": ("stg_crm__email_events", "email_event_id", "email"),
}

CLICK_PARAMS = ("gclid", "fbclid", "li_fat_id")


@pytest.fixture(scope="module")
def con(loaded):
    assert loaded["result"].success
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def truth(loaded):
    return loaded["world"]["truth"]


def _rows(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


@pytest.mark.parametrize("model", MODELS)
def test_one_row_per_id_and_every_loaded_id_is_staged(con, model):
    raw, raw_pk, pk = MODELS[model]
    rows, ids = _rows(con, f"select count(*), count(distinct {pk}) from staging.{model}")[0]
    (raw_ids,) = _rows(con, f'select count(distinct "{raw_pk}") from {raw}')[0]
    assert rows == ids == raw_ids > 0
    (missing,) = _rows(
        con,
        f'select count(*) from {raw} r anti join staging.{model} s on s.{pk} = r."{raw_pk}"',
    )[0]
    assert missing == 0


def test_leads_are_deduplicated_from_more_raw_versions(con):
    (raw_rows,) = _rows(con, "select count(*) from raw_crm.leads")[0]
    (staged,) = _rows(con, "select count(*) from staging.stg_crm__leads")[0]
    # the small world re-exports a few worked leads in the delta file
    assert raw_rows > staged


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("stg_crm__users", "user_email"),
        ("stg_crm__contacts", "email"),
        ("stg_crm__leads", "email"),
        ("stg_crm__form_submissions", "email"),
        ("stg_crm__email_events", "email"),
    ],
)
def test_emails_are_lower_case_and_trimmed(con, model, column):
    dirty, blank, total = _rows(
        con,
        f"""
        select
            count(*) filter (where {column} <> lower(trim({column}))),
            count(*) filter (where {column} = ''),
            count({column})
        from staging.{model}
        """,
    )[0]
    assert (dirty, blank) == (0, 0)
    assert total > 0


def test_the_raw_emails_really_were_dirty(con):
    """Guards the normalisation test against passing on clean input."""
    (dirty,) = _rows(
        con, 'select count(*) from raw_crm.leads where "Email" <> lower(trim("Email"))'
    )[0]
    assert dirty > 0


def _delta_leads(con) -> list[tuple]:
    """Every lead in a *_delta.csv file: delta status, full-export status, whether the delta
    version has the newer LastModifiedDate, and the staged status."""
    return _rows(
        con,
        r"""
        select
            d."Id",
            d."Status",
            f."Status",
            f."Id" is null or d."LastModifiedDate" >= f."LastModifiedDate",
            s.lead_status
        from raw_crm.leads as d
        left join raw_crm.leads as f
            on f."Id" = d."Id" and f._source_uri not like '%\_delta.csv' escape '\'
        join staging.stg_crm__leads as s on s.lead_id = d."Id"
        where d._source_uri like '%\_delta.csv' escape '\'
        """,
    )


def test_the_newest_lead_version_wins(con):
    rows = _delta_leads(con)
    newer = [r for r in rows if r[3]]
    assert newer, "the small world should re-export some leads with a newer LastModifiedDate"
    for lead_id, delta_status, _, _, staged_status in newer:
        assert staged_status == delta_status, lead_id
    # where the delta copy is older (see the xfail below) the newest LastModifiedDate still rules
    for lead_id, _, full_status, _, staged_status in (r for r in rows if not r[3]):
        assert staged_status == full_status, lead_id


def test_every_lead_in_a_delta_file_has_the_delta_status(con):
    rows = _delta_leads(con)
    assert rows
    assert [r[0] for r in rows if r[4] != r[1]] == []


def test_every_opportunity_in_a_delta_file_has_the_delta_stage(con):
    rows = _rows(
        con,
        r"""
        select d."Id", d."StageName", s.stage_name, s.is_closed, s.is_won
        from raw_crm.opportunities as d
        join staging.stg_crm__opportunities as s on s.opportunity_id = d."Id"
        where d._source_uri like '%\_delta.csv' escape '\'
        """,
    )
    assert rows
    for opportunity_id, delta_stage, staged_stage, is_closed, is_won in rows:
        assert staged_stage == delta_stage, opportunity_id
        assert is_closed == delta_stage.startswith("Closed")
        assert is_won == (delta_stage == "Closed Won")


def test_every_at_column_is_a_naive_timestamp(con):
    types = _rows(
        con,
        r"""
        select table_name, column_name, data_type
        from information_schema.columns
        where table_schema = 'staging'
          and table_name like 'stg\_crm\_\_%' escape '\'
          and column_name like '%\_at' escape '\'
        """,
    )
    assert len(types) >= 25
    assert {t[2] for t in types} == {"TIMESTAMP"}, types


def test_lead_created_at_lies_in_the_simulated_window(con):
    first, last, nulls = _rows(
        con,
        """
        select min(created_at), max(created_at), count(*) filter (where created_at is null)
        from staging.stg_crm__leads
        """,
    )[0]
    assert nulls == 0
    assert datetime(2025, 1, 1) <= first <= last < datetime(2026, 11, 1)


def test_local_offsets_are_converted_to_utc(con, loaded):
    """CreatedDate as exported with a non-UTC offset equals the staged naive UTC value."""
    staged = dict(_rows(con, "select lead_id, created_at from staging.stg_crm__leads"))
    checked = 0
    for path in sorted((loaded["world"]["landing"] / "crm" / "leads").glob("*.csv")):
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                text = row["CreatedDate"]
                if row["Id"] not in staged or text.endswith("+0000"):
                    continue
                local = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
                assert staged[row["Id"]] == local.astimezone(UTC).replace(tzinfo=None)
                checked += 1
    assert checked > 0


def _expected_from_url(page_url: str, click_id_field: str | None) -> dict:
    params = dict(parse_qsl(urlsplit(page_url).query))
    from_url = next(((p, params[p]) for p in CLICK_PARAMS if params.get(p)), (None, None))
    click_id = click_id_field or from_url[1]
    click_type = from_url[0] if click_id is not None and click_id == from_url[1] else None
    if click_id is not None and click_type is None:
        prefixes = {"Cj0KCQ": "gclid", "IwAR": "fbclid", "li": "li_fat_id"}
        click_type = next((t for p, t in prefixes.items() if click_id.startswith(p)), None)
    return {
        "page_path": urlsplit(page_url).path or "/",
        "utm_source": (params.get("utm_source") or "").lower() or None,
        "utm_medium": (params.get("utm_medium") or "").lower() or None,
        "utm_campaign": (params.get("utm_campaign") or "").lower() or None,
        "utm_content": (params.get("utm_content") or "").lower() or None,
        "utm_term": (params.get("utm_term") or "").lower() or None,
        "click_id": click_id,
        "click_id_type": click_type,
    }


def test_form_submission_urls_are_parsed(con):
    cols = [
        "page_path",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
        "click_id",
        "click_id_type",
    ]
    rows = _rows(
        con,
        f"""
        select r.page_url, r.click_id, {", ".join("s." + c for c in cols)}
        from staging.stg_crm__form_submissions as s
        join raw_crm.form_submissions as r on r.submission_id = s.form_submission_id
        """,
    )
    assert rows
    seen_types = set()
    for page_url, click_id_field, *staged in rows:
        assert dict(zip(cols, staged, strict=True)) == _expected_from_url(
            page_url, click_id_field
        ), page_url
        seen_types.add(staged[-1])
    # Google, Meta and LinkedIn clicks and organic visits all occur in the small world
    assert seen_types == {"gclid", "fbclid", "li_fat_id", None}


def test_a_real_google_click_is_parsed(con):
    (row,) = _rows(
        con,
        """
        select page_url, utm_source, utm_medium, utm_campaign, click_id, click_id_type
        from staging.stg_crm__form_submissions
        where page_url like '%gclid=%'
        order by submitted_at
        limit 1
        """,
    )
    page_url, utm_source, utm_medium, utm_campaign, click_id, click_id_type = row
    assert utm_source == "google"
    assert utm_medium in {"cpc", "display"}
    assert f"utm_campaign={utm_campaign}&" in page_url.lower()
    assert page_url.endswith(f"gclid={click_id}")
    assert click_id.startswith("Cj0KCQ")
    assert click_id_type == "gclid"


@pytest.mark.parametrize("obj", EMAILS)
def test_staged_emails_match_the_true_persons(con, truth, obj):
    model, pk, column = EMAILS[obj]
    rows = _rows(
        con,
        f"""
        select
            t.record_id,
            s.{column},
            lower(trim(p.email)),
            s.{pk} is null
        from read_parquet('{truth / "records.parquet"}') as t
        join read_parquet('{truth / "persons.parquet"}') as p using (person_id)
        left join staging.{model} as s on s.{pk} = t.record_id
        where t.object = ?
        """,
        obj,
    )
    assert rows
    rejected = {
        r[0]
        for r in _rows(
            con,
            f"select record_id from read_parquet('{truth / 'malformed.parquet'}') where object = ?",
            obj,
        )
    }
    cookie_only = 0
    for record_id, staged_email, true_email, missing in rows:
        if missing:
            assert record_id in rejected, f"{obj} {record_id} is neither staged nor rejected"
            continue
        if staged_email is None and obj == "form_submissions":
            cookie_only += 1  # a returning visitor's form without an email (by design)
            continue
        assert staged_email == true_email, record_id
    assert cookie_only < 0.05 * len(rows)


def test_company_emails_share_the_account_website_domain(con, truth):
    """Contacts not on free mail use their company's domain: website_domain is comparable."""
    mismatched, compared = _rows(
        con,
        f"""
        select
            count(*) filter (where c.email_domain <> a.website_domain),
            count(*)
        from staging.stg_crm__contacts as c
        join staging.stg_crm__accounts as a using (account_id)
        join read_parquet('{truth / "records.parquet"}') as t
            on t.object = 'contacts' and t.record_id = c.contact_id
        join read_parquet('{truth / "persons.parquet"}') as p using (person_id)
        where not p.is_free_mail and a.website_domain is not null
        """,
    )[0]
    assert compared > 0
    assert mismatched == 0


def test_email_events_and_tasks_name_what_their_ids_point_at(con):
    recipients = dict(
        _rows(
            con,
            """
            select recipient_type, count(*) filter (where left(recipient_id, 3) <> case
                recipient_type when 'lead' then '00Q' when 'contact' then '003' end)
            from staging.stg_crm__email_events where recipient_id is not null group by 1
            """,
        )
    )
    assert recipients == {"lead": 0, "contact": 0}
    who = dict(_rows(con, "select who_type, count(*) from staging.stg_crm__tasks group by 1"))
    assert set(who) == {"lead", "contact"}
    activity_types = {r[0] for r in _rows(con, "select activity_type from staging.stg_crm__tasks")}
    assert activity_types == {"call", "email", "meeting"}
    (no_completed_at,) = _rows(
        con, "select count(*) from staging.stg_crm__tasks where completed_at is null"
    )[0]
    assert no_completed_at == 0


def test_money_is_decimal_with_an_upper_case_currency(con):
    amounts = _rows(
        con,
        """
        select amount, currency from staging.stg_crm__opportunities
        union all
        select actual_cost_amount, actual_cost_currency from staging.stg_crm__campaigns
        where actual_cost_amount is not null
        """,
    )
    assert amounts
    assert all(isinstance(a, Decimal) and a == a.quantize(Decimal("0.01")) for a, _ in amounts)
    assert {c for _, c in amounts} <= {"USD", "EUR", "GBP"}
    types = dict(
        _rows(
            con,
            """
            select column_name, data_type from information_schema.columns
            where table_schema = 'staging'
              and table_name in ('stg_crm__opportunities', 'stg_crm__campaigns')
              and column_name in ('amount', 'actual_cost_amount')
            """,
        )
    )
    assert types == {"amount": "DECIMAL(18,2)", "actual_cost_amount": "DECIMAL(18,2)"}


def test_soft_delete_flags_are_kept_not_filtered(con):
    for model in ("stg_crm__accounts", "stg_crm__leads", "stg_crm__opportunities"):
        (flag_type,) = _rows(
            con,
            """
            select data_type from information_schema.columns
            where table_schema = 'staging' and table_name = ? and column_name = 'is_deleted'
            """,
            model,
        )[0]
        assert flag_type == "BOOLEAN"


def test_website_domain_has_no_protocol_or_www(con):
    domains = [r[0] for r in _rows(con, "select website_domain from staging.stg_crm__accounts")]
    present = [d for d in domains if d is not None]
    assert present
    assert not [d for d in present if "://" in d or d.startswith("www.") or d != d.lower()]
    (with_site_without_domain,) = _rows(
        con,
        """
        select count(*) from staging.stg_crm__accounts
        where website is not null and website_domain is null
        """,
    )[0]
    assert with_site_without_domain == 0
