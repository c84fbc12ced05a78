"""Writes the simulated world as the files each source tool exports, plus the ground truth.

Files follow the landing contracts exactly (column names, formats) and are realistically dirty:
mixed-case and padded emails, duplicate records, records re-exported later with a newer
updated-at, missing optional fields, a few malformed rows and mixed UTC offsets. Formatting runs
inside DuckDB (``COPY ... TO``), so tens of millions of rows are written without Python loops.

The ground truth (true person and account of every record, true sourcing channel, which rows were
made malformed) goes to a separate folder the pipeline never reads.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.generate.world import CH_CHANNEL, CH_KEY, CH_SUB, WorldConfig
from dagster_project.lib.landing.contracts import Contract, get_contract

# UTC offsets (minutes) the exporting tools use: mostly UTC, some local times
OFFSETS = np.array([0, -300, -480, 60, 120, 330])
OFFSET_P = np.array([0.7, 0.1, 0.05, 0.07, 0.05, 0.03])
BAD_TIMESTAMP = "31/02/2026 25:61"
MALFORMED_OBJECTS = {
    "leads",
    "form_submissions",
    "email_events",
    "tasks",
    "google_ads_clicks",
    "meta_ads_clicks",
    "charges",
}
PLATFORM_UTM = {"google": "google", "meta": "facebook", "linkedin": "linkedin"}
MEDIUM = {
    "paid_search": "cpc",
    "display": "display",
    "meta": "paid_social",
    "linkedin": "paid_social",
}
CLICK_PARAM = {"google": "gclid", "meta": "fbclid", "linkedin": "li_fat_id"}
SITE = "https://www.revjourney.io"


def _sql_ts(col: str, style: str) -> str:
    """SQL rendering a UTC timestamp column in the local time of the row's ``_off`` minutes."""
    local = f"({col} + to_minutes(_off::bigint))"
    sign = "case when _off < 0 then '-' else '+' end"
    hh = "lpad((abs(_off) // 60)::varchar, 2, '0')"
    mm = "lpad((abs(_off) % 60)::varchar, 2, '0')"
    if style == "salesforce":  # 2026-01-05T10:00:00.000+0000
        return f"strftime({local}, '%Y-%m-%dT%H:%M:%S.000') || {sign} || {hh} || {mm}"
    # ISO-8601 as web tools write it: Z for UTC, +hh:mm otherwise
    return (
        f"strftime({local}, '%Y-%m-%dT%H:%M:%S') || case when _off = 0 then 'Z' "
        f"else {sign} || {hh} || ':' || {mm} end"
    )


class Writer:
    """Renders frames to contract-shaped files through one in-memory DuckDB connection."""

    def __init__(self, landing: Path, rng: np.random.Generator, malformed_rate: float):
        self.landing, self.rng, self.rate = landing, rng, malformed_rate
        self.con = duckdb.connect()
        self.con.execute("set timezone='UTC'")
        self.malformed: list[dict] = []
        self.files: list[dict] = []

    def _select(self, c: Contract, df: pd.DataFrame, ts_style: str) -> str:
        exprs = []
        for col in c.columns:
            q = f'"{col.name}"'
            if col.name not in df.columns:
                raise KeyError(f"generator frame for {c.table} lacks column {col.name}")
            t = col.type
            if t == "TIMESTAMPTZ":
                e = _sql_ts(f"{q}::timestamp", ts_style)
            elif t == "DATE":
                e = f"strftime({q}::timestamp, '%Y-%m-%d')"
            elif t.startswith("DECIMAL"):
                e = f"printf('%.2f', {q}::double)" if c.format == "csv" else f"{q}::double"
            elif t in ("BIGINT", "INTEGER"):
                e = f"{q}::bigint"
            elif t == "JSON":
                e = f"json({q})"
            elif t == "BOOLEAN":
                e = f"{q}::boolean"
            else:
                e = f"{q}::varchar"
            exprs.append(f"{e} as {q}")
        return "select " + ", ".join(exprs) + " from frame"

    def write(
        self,
        c: Contract,
        df: pd.DataFrame,
        part: str,
        *,
        ts_style: str = "salesforce",
        pk: str | None = None,
        string_numbers: bool = False,
    ) -> Path | None:
        """Write ``df`` as one landing file of ``c``; maybe append a few malformed rows.

        Nothing to export writes no file (None), as the exporting tools do."""
        df = df.reset_index(drop=True)
        if df.empty:
            return None
        if "_off" not in df.columns:
            df["_off"] = self.rng.choice(OFFSETS, len(df), p=OFFSET_P) if len(df) else []
        bad = pd.DataFrame()
        if (
            self.rate > 0
            and c.object in MALFORMED_OBJECTS
            and len(df) > 20
            and part.endswith("full")
        ):
            k = max(1, int(round(len(df) * self.rate)))
            pick = np.sort(self.rng.choice(len(df), k, replace=False))
            bad, df = df.iloc[pick], df.drop(index=pick)
        folder = self.landing / c.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{c.object}_{part}{c.extensions[0]}"
        sql = self._select(c, df, ts_style)
        if string_numbers:  # the Meta Graph API returns numbers as strings
            sql = sql.replace("::bigint", "::bigint::varchar").replace("::double", "::varchar")
        self.con.register("frame", df)
        fmt = "(header, delimiter ',')" if c.format == "csv" else "(format json)"
        self.con.execute(f"copy ({sql}) to '{path}' {fmt}")
        self.con.unregister("frame")
        if len(bad):
            self._append_malformed(c, bad, path, ts_style, pk or c.primary_key[0])
        self.files.append({"file": str(path.relative_to(self.landing)), "rows": len(df) + len(bad)})
        return path

    def _append_malformed(self, c, bad, path, ts_style, pk) -> None:
        """Append rows broken the way real exports break: bad value, extra or missing field."""
        self.con.register("frame", bad.reset_index(drop=True))
        if c.format == "csv":
            rows = self.con.execute(self._select(c, bad, ts_style)).fetchall()
        else:
            rows = [
                r[0]
                for r in self.con.execute(
                    f"select to_json(t)::varchar from ({self._select(c, bad, ts_style)}) t"
                ).fetchall()
            ]
        self.con.unregister("frame")
        ts_idx = next(i for i, col in enumerate(c.columns) if col.type in ("TIMESTAMPTZ", "BIGINT"))
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        for i, row in enumerate(rows):
            kind = ("bad_value", "extra_field", "missing_field")[i % 3]
            if c.format == "csv":
                vals = ["" if v is None else v for v in row]
                if kind == "bad_value":
                    vals[ts_idx] = BAD_TIMESTAMP
                elif kind == "extra_field":
                    vals.append("UNEXPECTED")
                else:
                    vals = vals[:-1]
                out.writerow(vals)
                rid = row[c.column_names.index(pk)]
            else:
                obj = json.loads(row)
                rid = obj[pk]
                if kind == "bad_value":
                    obj[c.columns[ts_idx].name] = "yesterday"
                    buf.write(json.dumps(obj) + "\n")
                else:
                    kind = "truncated_json"
                    text = json.dumps(obj)
                    buf.write(text[: len(text) // 2] + "\n")
            self.malformed.append(
                {
                    "object": c.object,
                    "record_id": rid,
                    "kind": kind,
                    "file": str(path.relative_to(self.landing)),
                }
            )
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(buf.getvalue())


def _dirty_email(emails: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mixed case and stray whitespace, as people type and tools store emails."""
    e = pd.Series(emails, dtype=object)
    r = rng.random(len(e))
    e = e.where(~(r < 0.05), e.str.upper())
    e = e.where(~((r >= 0.05) & (r < 0.15)), e.str.capitalize())
    e = e.where(~((r >= 0.15) & (r < 0.22)), " " + e + " ")
    e = e.where(~((r >= 0.22) & (r < 0.25)), e + " ")
    return e.to_numpy()


def _blank(values, rng, share: float):
    """Missing optional fields."""
    v = pd.Series(values, dtype=object)
    return v.where(rng.random(len(v)) >= share, None).to_numpy()


def _url(base: str, params: list[tuple[str, object]]) -> str:
    q = "&".join(f"{k}={v}" for k, v in params if v is not None and v == v)
    return f"{base}?{q}" if q else base


def write_world(
    world: dict[str, pd.DataFrame],
    cfg: WorldConfig,
    landing: Path,
    truth: Path,
    malformed_rate: float = 0.0005,
) -> dict:
    """Write every landing file under ``landing`` and the ground truth under ``truth``."""
    rng = np.random.default_rng(cfg.seed + 1)
    truth.mkdir(parents=True, exist_ok=True)
    w = Writer(landing, rng, malformed_rate)
    end = np.datetime64(cfg.end.isoformat(), "s")
    full, delta = f"{cfg.end:%Y%m%d}T020000Z_full", f"{cfg.end:%Y%m%d}T140000Z_delta"
    p, acc = world["persons"], world["accounts"]
    crm = lambda o: get_contract("crm", o)  # noqa: E731
    lambda o: get_contract("ads", o)  # noqa: E731
    lambda o: get_contract("billing", o)  # noqa: E731

    # ------------------------------------------------------------------------------ CRM
    u = world["users"]
    w.write(
        crm("users"),
        pd.DataFrame(
            {
                "Id": u.user_id,
                "Name": u.name,
                "Email": u.email,
                "Title": u.role,
                "UserRole": u.role,
                "IsActive": u.is_active,
                "CreatedDate": u.created_at,
                "LastModifiedDate": u.created_at,
            }
        ),
        full,
    )
    won_acc = set(world["opportunities"].query("is_won").account_idx)
    w.write(
        crm("accounts"),
        pd.DataFrame(
            {
                "Id": acc.account_id,
                "Name": acc.name,
                "Website": _blank("https://www." + acc.domain, rng, 0.1),
                "Industry": _blank(acc.industry, rng, 0.12),
                "NumberOfEmployees": acc.employees,
                "BillingCountry": _blank(acc.country, rng, 0.05),
                "CurrencyIsoCode": acc.currency,
                "Type": np.where(
                    np.isin(np.arange(len(acc)), list(won_acc)), "Customer", "Prospect"
                ),
                "OwnerId": acc.owner_id,
                "CreatedDate": acc.created_at,
                "LastModifiedDate": acc.created_at + np.timedelta64(3, "D"),
                "IsDeleted": False,
            }
        ),
        full,
    )

    ct = world["contacts"]
    cp = p.iloc[ct.person_idx.to_numpy()]
    w.write(
        crm("contacts"),
        pd.DataFrame(
            {
                "Id": ct.contact_id,
                "AccountId": ct.account_id,
                "FirstName": cp.first_name.to_numpy(),
                "LastName": cp.last_name.to_numpy(),
                "Email": _dirty_email(cp.email.to_numpy(), rng),
                "Title": _blank(cp.title.to_numpy(), rng, 0.2),
                "LeadSource": ct.lead_source,
                "OwnerId": ct.owner_id,
                "CreatedDate": ct.created_at,
                "LastModifiedDate": ct.created_at,
                "IsDeleted": False,
            }
        ),
        full,
    )

    ld = world["leads"]
    lp = p.iloc[ld.person_idx.to_numpy()]
    forms = world["forms"]
    lead_form = forms[forms.lead_id.notna()].drop_duplicates("lead_id").set_index("lead_id")
    ad_c = world["ad_campaigns"].set_index("utm_campaign")
    lf = lead_form.reindex(ld.lead_id)
    utm_c = lf.utm_campaign.to_numpy()
    plat = pd.Series(utm_c).map(ad_c.platform).to_numpy()
    key = lf.key.to_numpy()
    # a lead whose status moved without a lifecycle date was still touched after creation
    last_change = ld[["created_at", "mql_at", "sal_at", "sql_at", "converted_at"]].max(axis=1)
    worked = (ld.status != "Open - Not Contacted").to_numpy()
    last_change = last_change.where(
        ~worked, np.maximum(last_change, ld.created_at + np.timedelta64(2, "h"))
    )
    leads_df = pd.DataFrame(
        {
            "Id": ld.lead_id,
            "FirstName": _blank(lp.first_name.to_numpy(), rng, 0.03),
            "LastName": lp.last_name.to_numpy(),
            "Email": _dirty_email(lp.email.to_numpy(), rng),
            "Company": acc.name.to_numpy()[ld.account_idx],
            "Title": _blank(lp.title.to_numpy(), rng, 0.3),
            "Phone": ld.phone,
            "Status": ld.status,
            "Disqualification_Reason__c": ld.disqualification_reason,
            "LeadSource": ld.lead_source,
            "UTM_Source__c": np.select(
                [
                    pd.notna(plat),
                    key == "content",
                    key == "referral",
                    np.isin(key, ["webinar", "event"]),
                ],
                [pd.Series(plat).map(PLATFORM_UTM).to_numpy(), "blog", "partner", key],
                None,
            ),
            "UTM_Medium__c": np.select(
                [
                    pd.notna(plat),
                    key == "content",
                    key == "referral",
                    np.isin(key, ["webinar", "event"]),
                ],
                [pd.Series(key).map(MEDIUM).to_numpy(), "content", "referral", key],
                None,
            ),
            "UTM_Campaign__c": utm_c,
            "UTM_Content__c": None,
            "UTM_Term__c": None,
            "Click_Id__c": lf.click_id.to_numpy(),
            "OwnerId": ld.owner_id,
            "MQL_Date__c": ld.mql_at,
            "SAL_Date__c": ld.sal_at,
            "SQL_Date__c": ld.sql_at,
            "IsConverted": ld.is_converted,
            "ConvertedDate": ld.converted_at,
            "ConvertedContactId": ld.converted_contact_id,
            "ConvertedAccountId": np.where(
                ld.is_converted, acc.account_id.to_numpy()[ld.account_idx], None
            ),
            "ConvertedOpportunityId": ld.converted_opportunity_id,
            "CreatedDate": ld.created_at,
            "LastModifiedDate": last_change,
            "IsDeleted": False,
        }
    )
    # a share of leads was exported before sales worked them, then re-exported in the delta
    moved = (ld.status != "Open - Not Contacted").to_numpy() & (rng.random(len(ld)) < 0.05)
    old = leads_df[moved].copy()
    old["Status"], old["Disqualification_Reason__c"], old["IsConverted"] = (
        "Open - Not Contacted",
        None,
        False,
    )
    for col in [
        "MQL_Date__c",
        "SAL_Date__c",
        "SQL_Date__c",
        "ConvertedDate",
        "ConvertedContactId",
        "ConvertedAccountId",
        "ConvertedOpportunityId",
    ]:
        old[col] = None
    old["LastModifiedDate"] = old.CreatedDate + np.timedelta64(1, "h")  # before any work
    w.write(crm("leads"), pd.concat([leads_df[~moved], old]).sort_values("CreatedDate"), full)
    w.write(crm("leads"), leads_df[moved], delta)

    cc = world["crm_campaigns"]
    w.write(
        crm("campaigns"),
        pd.DataFrame(
            {
                "Id": cc.campaign_id,
                "Name": cc.name,
                "Type": cc.type,
                "Channel__c": pd.Series(cc.key).map(dict(zip(CH_KEY, CH_CHANNEL, strict=True))),
                "UTM_Campaign__c": cc.utm_campaign,
                "Status": np.where(cc.ts < end, "Completed", "Planned"),
                "StartDate": cc.ts,
                "EndDate": cc.ts + np.timedelta64(1, "D"),
                "ActualCost": cc.cost,
                "CurrencyIsoCode": "USD",
                "ParentId": None,
                "CreatedDate": cc.ts - np.timedelta64(30, "D"),
                "LastModifiedDate": cc.ts - np.timedelta64(2, "D"),
            }
        ),
        full,
    )

    # campaign members: event registrations and email sends
    em = world["event_members"]
    es = world["email_sends"]
    lead_to_contact = ld.set_index("lead_id").converted_contact_id
    em_contact = lead_to_contact.reindex(em.lead_id).to_numpy()
    event_date = cc.set_index("campaign_id").ts
    members = pd.concat(
        [
            pd.DataFrame(
                {
                    "CampaignId": em.crm_campaign_id,
                    "LeadId": em.lead_id,
                    "ContactId": em_contact,
                    "Status": np.where(em.attended, "Attended", "No Show"),
                    "HasResponded": em.attended,
                    "FirstRespondedDate": np.where(
                        em.attended,
                        event_date.reindex(em.crm_campaign_id).to_numpy(),
                        np.datetime64("NaT"),
                    ),
                    "CreatedDate": em.ts,
                    "_person": em.person_idx,
                }
            ),
            pd.DataFrame(
                {
                    "CampaignId": es.campaign_id,
                    "LeadId": es.lead_id,
                    "ContactId": np.where(es.recipient_id != es.lead_id, es.recipient_id, None),
                    "Status": np.where(
                        es.clicked, "Clicked", np.where(es.opened, "Opened", "Sent")
                    ),
                    "HasResponded": es.clicked,
                    "FirstRespondedDate": np.where(es.clicked, es.click_at, np.datetime64("NaT")),
                    "CreatedDate": es.ts,
                    "_person": es.person_idx,
                }
            ),
        ],
        ignore_index=True,
    )
    members = members[members.CampaignId.notna()].sort_values("CreatedDate", kind="stable")
    members["Id"] = np.char.add(
        "00v", np.char.zfill(np.arange(1, len(members) + 1).astype(str), 15)
    )
    members["LastModifiedDate"] = members[["CreatedDate", "FirstRespondedDate"]].max(axis=1)
    w.write(crm("campaign_members"), members, full)

    # form submissions
    fp = p.iloc[forms.person_idx.to_numpy()]
    fplat = pd.Series(forms.utm_campaign).map(ad_c.platform).to_numpy()
    fkey = forms.key.to_numpy()
    page = {
        "Demo Request": "/demo",
        "Contact Us": "/contact",
        "Content Download": "/resources",
        "Webinar Registration": "/webinars/register",
        "Event Registration": "/events",
    }
    src = np.select(
        [
            pd.notna(fplat),
            fkey == "content",
            fkey == "referral",
            np.isin(fkey, ["webinar", "event"]),
        ],
        [pd.Series(fplat).map(PLATFORM_UTM).to_numpy(), "blog", "partner", fkey],
        None,
    )
    med = np.select(
        [
            pd.notna(fplat),
            fkey == "content",
            fkey == "referral",
            np.isin(fkey, ["webinar", "event"]),
        ],
        [pd.Series(fkey).map(MEDIUM).to_numpy(), "content", "referral", fkey],
        None,
    )
    click_param = pd.Series(fplat).map(CLICK_PARAM).to_numpy()
    urls = [
        _url(
            SITE + page[n],
            [
                ("utm_source", s),
                ("utm_medium", m),
                ("utm_campaign", c),
                (cp_, ck if isinstance(cp_, str) else None),
            ],
        )
        for n, s, m, c, cp_, ck in zip(
            forms.form_name, src, med, forms.utm_campaign, click_param, forms.click_id, strict=True
        )
    ]
    referrer = np.select(
        [fkey == "organic_search", fkey == "referral", fkey == "content"],
        ["https://www.google.com/", "https://partner-network.example/", SITE + "/blog"],
        None,
    )
    # the marketing tool does not always sync the lead id back (8 %), and a returning
    # visitor's progressive-profiling form asks neither email nor name: only the cookie says
    # who it is (3 % of the forms after lead creation)
    visitor = _blank(fp.visitor_id.to_numpy(), rng, 0.08)
    r = rng.random(len(forms))
    creates_lead = world["touches"].creates_lead.to_numpy()[forms.touch_idx.to_numpy()]
    cookie_only = (r >= 0.08) & (r < 0.11) & ~creates_lead & pd.notna(visitor)
    form_lead = np.where((r < 0.08) | cookie_only, None, forms.lead_id.to_numpy())
    w.write(
        crm("form_submissions"),
        pd.DataFrame(
            {
                "submission_id": forms.submission_id,
                "form_name": forms.form_name,
                "page_url": urls,
                "referrer_url": referrer,
                "email": np.where(cookie_only, None, _dirty_email(fp.email.to_numpy(), rng)),
                "first_name": np.where(cookie_only, None, fp.first_name.to_numpy()),
                "last_name": np.where(cookie_only, None, fp.last_name.to_numpy()),
                "company": acc.name.to_numpy()[fp.account_idx.to_numpy()],
                "visitor_id": visitor,
                "click_id": forms.click_id,
                "lead_id": form_lead,
                "submitted_at": forms.ts,
            }
        ).sort_values("submitted_at"),
        full,
        ts_style="iso",
    )

    # marketing email events: sent + delivered (+ bounce | open (+ click))
    ep = p.iloc[es.person_idx.to_numpy()]
    email_clean = ep.email.to_numpy()
    parts = []
    for etype, mask, at in [
        ("sent", None, es.ts),
        ("delivered", ~es.bounced, es.ts),
        ("bounce", es.bounced, es.ts),
        ("open", es.opened, es.open_at),
        ("click", es.clicked, es.click_at),
    ]:
        m = np.ones(len(es), bool) if mask is None else mask.to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "email_campaign_id": es.campaign_id.to_numpy()[m],
                    # 5 % of the email tool's events lost the CRM id (matched by email)
                    "recipient_id": np.where(
                        rng.random(int(m.sum())) < 0.05, None, es.recipient_id.to_numpy()[m]
                    ),
                    "email": email_clean[m],
                    "event_type": etype,
                    "utm_campaign": es.utm_campaign.to_numpy()[m],
                    "occurred_at": at.to_numpy()[m],
                    "_person": es.person_idx.to_numpy()[m],
                }
            )
        )
    ev = pd.concat(parts, ignore_index=True).sort_values("occurred_at", kind="stable")
    ev["event_id"] = np.char.add("ee_", np.char.zfill(np.arange(1, len(ev) + 1).astype(str), 12))
    ev["link_url"] = np.where(
        ev.event_type == "click",
        SITE + "/resources?utm_source=newsletter&utm_medium=email&utm_campaign=" + ev.utm_campaign,
        None,
    )
    ev["email"] = np.where(rng.random(len(ev)) < 0.1, pd.Series(ev.email).str.upper(), ev.email)
    w.write(crm("email_events"), ev, full, ts_style="iso")

    a = world["activities"]
    w.write(
        crm("tasks"),
        pd.DataFrame(
            {
                "Id": a.activity_id,
                "WhoId": a.who_id,
                "WhatId": a.what_id,
                "OwnerId": a.owner_id,
                "Type": a.type,
                "Subject": a.subject,
                "Status": "Completed",
                "CallDurationInSeconds": a.duration,
                "ActivityDate": a.ts,
                "CompletedDateTime": a.ts,
                "CreatedDate": a.ts,
                "LastModifiedDate": a.ts,
                "IsDeleted": False,
            }
        ),
        full,
    )

    o = world["opportunities"]
    src_lead = ld.iloc[np.maximum(o.source_lead_idx.to_numpy(), 0)]
    primary = cc.set_index("utm_campaign").campaign_id
    opp_campaign = (
        pd.Series(lead_form.reindex(src_lead.lead_id).utm_campaign.to_numpy())
        .map(primary)
        .to_numpy()
    )
    opp_df = pd.DataFrame(
        {
            "Id": o.opportunity_id,
            "AccountId": o.account_id,
            "Name": acc.name.to_numpy()[o.account_idx] + " - " + o.type,
            "StageName": o.stage,
            "Amount": o.amount,
            "CurrencyIsoCode": o.currency,
            "Probability": o.probability,
            "CloseDate": o.close_at,
            "IsClosed": o.is_closed,
            "IsWon": o.is_won,
            "Loss_Reason__c": o.loss_reason,
            "Type": o.type,
            "LeadSource": np.where(
                o.sourced_by == "sales", "Outbound", src_lead.lead_source.to_numpy()
            ),
            "CampaignId": np.where(o.sourced_by == "sales", None, opp_campaign),
            "OwnerId": o.owner_id,
            "CreatedDate": o.created_at,
            "LastModifiedDate": o.updated_at,
            "IsDeleted": False,
        }
    )
    moved = (o.stage != "Prospecting").to_numpy() & (rng.random(len(o)) < 0.08)
    old = opp_df[moved].copy()
    old["StageName"], old["Probability"], old["IsClosed"], old["IsWon"] = (
        "Prospecting",
        10,
        False,
        False,
    )
    old["Loss_Reason__c"] = None
    old["LastModifiedDate"] = old.CreatedDate + np.timedelta64(1, "D")
    w.write(crm("opportunities"), pd.concat([opp_df[~moved], old]), full)
    w.write(crm("opportunities"), opp_df[moved], delta)

    h = world["stage_history"]
    w.write(
        crm("opportunity_history"),
        pd.DataFrame(
            {
                "Id": h.history_id,
                "OpportunityId": h.opportunity_id,
                "StageName": h.stage,
                "Amount": h.amount,
                "Probability": h.probability,
                "CloseDate": h.close_date,
                "CreatedById": o.owner_id.to_numpy()[h.opp],
                "CreatedDate": h.ts,
            }
        ),
        full,
    )
    r = world["contact_roles"]
    w.write(
        crm("opportunity_contact_roles"),
        pd.DataFrame(
            {
                "Id": r.role_id,
                "OpportunityId": r.opportunity_id,
                "ContactId": r.contact_id,
                "Role": r.role,
                "IsPrimary": r.is_primary,
                "CreatedDate": r.created_at,
                "LastModifiedDate": r.created_at,
            }
        ),
        full,
    )

    # ------------------------------------------------------------------------------- ads
    _write_ads(w, world, cfg, full, delta)
    # --------------------------------------------------------------------------- billing
    _write_billing(w, world, full, delta)

    summary = _write_truth(world, truth, w, ev, members, ld, forms)
    summary["config"] = {
        "accounts": cfg.accounts,
        "seed": cfg.seed,
        "start": str(cfg.start),
        "end": str(cfg.end),
        "malformed_rate": malformed_rate,
    }
    summary["files"] = w.files
    (truth / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _write_ads(w: Writer, world, cfg, full: str, delta: str) -> None:
    ads = world["ad_campaigns"]
    clicks = world["clicks"].copy()
    start = np.datetime64(cfg.start.isoformat(), "s")
    clicks["day"] = clicks.ts.to_numpy().astype("datetime64[D]")
    camp = ads.iloc[clicks.ad_campaign.to_numpy()]
    clicks["utm_campaign"] = camp.utm_campaign.to_numpy()
    clicks["medium"] = pd.Series(camp.key.to_numpy()).map(MEDIUM).to_numpy()
    clicks["source"] = pd.Series(camp.platform.to_numpy()).map(PLATFORM_UTM).to_numpy()
    clicks["url"] = (
        SITE
        + "/demo?utm_source="
        + clicks.source
        + "&utm_medium="
        + clicks.medium
        + "&utm_campaign="
        + clicks.utm_campaign
        + "&"
        + clicks.platform.map(CLICK_PARAM)
        + "="
        + clicks.click_id
    )
    clicks["ad_campaign_id"] = camp.ad_campaign_id.to_numpy()

    # daily stats are the clicks bought, at the campaign's cost per click
    daily = clicks.groupby(["ad_campaign", "day"]).size().rename("clicks").reset_index()
    rng = w.rng
    cpc = ads.cpc.to_numpy()[daily.ad_campaign] * rng.lognormal(0, 0.15, len(daily))
    daily["spend"] = np.round(daily.clicks * cpc, 2)
    ctr = np.where(ads.key.to_numpy()[daily.ad_campaign] == "display", 0.002, 0.02)
    daily["impressions"] = np.round(daily.clicks / ctr * rng.lognormal(0, 0.2, len(daily)))
    daily = daily.merge(ads, left_on="ad_campaign", right_index=True)
    ca = lambda o: get_contract("ads", o)  # noqa: E731

    g = ads[ads.platform == "google"]
    w.write(
        ca("google_ads_campaigns"),
        pd.DataFrame(
            {
                "campaign_id": g.ad_campaign_id.astype("int64"),
                "campaign_name": g.name,
                "campaign_status": "ENABLED",
                "advertising_channel_type": np.where(g.key == "display", "DISPLAY", "SEARCH"),
                "start_date": start,
                "end_date": None,
                "final_url_suffix": "utm_source=google&utm_medium="
                + g.key.map(MEDIUM)
                + "&utm_campaign="
                + g.utm_campaign,
                "customer_currency_code": g.currency,
                "_off": 0,
            }
        ),
        full,
    )
    gd = daily[daily.platform == "google"]
    w.write(
        ca("google_ads_campaign_stats"),
        pd.DataFrame(
            {
                "segments_date": gd.day,
                "campaign_id": gd.ad_campaign_id.astype("int64"),
                "metrics_impressions": gd.impressions,
                "metrics_clicks": gd.clicks,
                "metrics_cost_micros": (gd.spend * 1_000_000).round().astype("int64"),
                "customer_currency_code": gd.currency,
                "_off": 0,
            }
        ),
        full,
    )
    gc = clicks[clicks.platform == "google"]
    gcf = pd.DataFrame(
        {
            "click_view_gclid": gc.click_id,
            "segments_date": gc.day,
            "click_time": gc.ts,
            "campaign_id": gc.ad_campaign_id.astype("int64"),
            "ad_group_id": gc.ad_campaign_id.astype("int64") * 10 + 1,
            "keyword_text": np.where(gc.medium == "cpc", "revenue attribution software", None),
            "landing_page_url": gc.url,
            "_off": 0,
        }
    )
    # two overlapping exports: the last week again, so the overlap day arrives twice
    cut = np.datetime64(cfg.end.isoformat(), "D") - np.timedelta64(7, "D")
    w.write(ca("google_ads_clicks"), gcf[gcf.segments_date <= cut], full)
    w.write(ca("google_ads_clicks"), gcf[gcf.segments_date >= cut], delta)

    m = ads[ads.platform == "meta"]
    w.write(
        ca("meta_ads_campaigns"),
        pd.DataFrame(
            {
                "id": m.ad_campaign_id,
                "name": m.name,
                "objective": "OUTCOME_LEADS",
                "status": "ACTIVE",
                "start_time": start,
                "stop_time": None,
                "url_tags": "utm_source=facebook&utm_medium=paid_social&utm_campaign="
                + m.utm_campaign,
                "account_currency": m.currency,
                "updated_time": start,
            }
        ),
        full,
        ts_style="iso",
    )
    md = daily[daily.platform == "meta"]
    w.write(
        ca("meta_ads_insights"),
        pd.DataFrame(
            {
                "campaign_id": md.ad_campaign_id,
                "campaign_name": md.name,
                "date_start": md.day,
                "date_stop": md.day,
                "impressions": md.impressions,
                "clicks": md.clicks,
                "spend": md.spend,
                "account_currency": md.currency,
            }
        ),
        full,
        string_numbers=True,
    )
    mc = clicks[clicks.platform == "meta"]
    w.write(
        ca("meta_ads_clicks"),
        pd.DataFrame(
            {
                "fbclid": mc.click_id,
                "campaign_id": mc.ad_campaign_id,
                "adset_id": mc.ad_campaign_id + "01",
                "click_time": mc.ts,
                "landing_page_url": mc.url,
            }
        ),
        full,
        ts_style="iso",
        pk="fbclid",
    )

    li = ads[ads.platform == "linkedin"]
    start_ms = int((start - np.datetime64(0, "s")) / np.timedelta64(1, "ms"))
    w.write(
        ca("linkedin_ads_campaigns"),
        pd.DataFrame(
            {
                "id": li.ad_campaign_id.astype("int64"),
                "name": li.name,
                "status": "ACTIVE",
                "type": "SPONSORED_UPDATES",
                "costType": "CPC",
                "account": "urn:li:sponsoredAccount:508000111",
                "runSchedule": json.dumps({"start": start_ms}),
                "utm_campaign": li.utm_campaign,
                "currency": li.currency,
                "lastModified": start_ms,
            }
        ),
        full,
    )
    lid = daily[daily.platform == "linkedin"]
    day = pd.to_datetime(lid.day)
    dr = [
        json.dumps(
            {
                "start": {"year": d.year, "month": d.month, "day": d.day},
                "end": {"year": d.year, "month": d.month, "day": d.day},
            }
        )
        for d in day
    ]
    w.write(
        ca("linkedin_ads_analytics"),
        pd.DataFrame(
            {
                "pivotValues": [
                    '["urn:li:sponsoredCampaign:' + c + '"]' for c in lid.ad_campaign_id
                ],
                "dateRange": dr,
                "impressions": lid.impressions,
                "clicks": lid.clicks,
                "costInLocalCurrency": lid.spend,
            }
        ),
        full,
    )
    lc = clicks[clicks.platform == "linkedin"]
    w.write(
        ca("linkedin_ads_clicks"),
        pd.DataFrame(
            {
                "li_fat_id": lc.click_id,
                "campaign": "urn:li:sponsoredCampaign:" + lc.ad_campaign_id,
                "clickedAt": ((lc.ts.to_numpy().astype("datetime64[ms]")).astype("int64")),
                "landingPageUrl": lc.url,
            }
        ),
        full,
    )


def _write_billing(w: Writer, world, full: str, delta: str) -> None:
    cb = lambda o: get_contract("billing", o)  # noqa: E731
    epoch = lambda s: pd.Series(s).to_numpy().astype("datetime64[s]").astype("int64")  # noqa: E731
    cu = world["customers"]
    meta = [
        json.dumps({"crm_account_id": a} if h else {})
        for a, h in zip(cu.account_id, cu.has_crm_id, strict=True)
    ]
    cust = pd.DataFrame(
        {
            "id": cu.customer_id,
            "object": "customer",
            "email": _dirty_email(cu.email.to_numpy(), w.rng),
            "name": cu.name,
            "currency": cu.currency,
            "metadata": meta,
            "created": epoch(cu.created_at),
            "livemode": True,
            "delinquent": False,
        }
    )
    # sales fills in the CRM id some time after sign-up: first export without, delta with it
    late = cu.has_crm_id.to_numpy() & (w.rng.random(len(cu)) < 0.3)
    if not late.any() and cu.has_crm_id.any():  # every world shows the case at least once
        late[np.flatnonzero(cu.has_crm_id.to_numpy())[0]] = True
    first = cust.copy()
    first.loc[late, "metadata"] = "{}"
    w.write(cb("customers"), first, full)
    w.write(cb("customers"), cust[late], delta)

    s = world["subscriptions"]
    items = [
        json.dumps(
            {
                "object": "list",
                "data": [
                    {
                        "id": "si_" + sid[4:],
                        "object": "subscription_item",
                        "quantity": 1,
                        "price": {
                            "id": pid,
                            "object": "price",
                            "currency": c,
                            "unit_amount": int(ua),
                            "recurring": {
                                "interval": "year" if y else "month",
                                "interval_count": 1,
                            },
                        },
                    }
                ],
            }
        )
        for sid, pid, c, ua, y in zip(
            s.subscription_id, s.price_id, s.currency, s.unit_amount, s.yearly, strict=True
        )
    ]
    end = np.datetime64(world["invoices"].period_end.max(), "s")
    w.write(
        cb("subscriptions"),
        pd.DataFrame(
            {
                "id": s.subscription_id,
                "object": "subscription",
                "customer": s.customer_id,
                "status": np.where(s.cancel_at.notna(), "canceled", "active"),
                "currency": s.currency,
                "items": items,
                "start_date": epoch(s.start_at),
                "current_period_start": epoch(s.start_at),
                "current_period_end": epoch(s.start_at) + np.where(s.yearly, 365, 30) * 86400,
                "canceled_at": pd.Series(epoch(s.cancel_at.fillna(end))).where(
                    s.cancel_at.notna(), None
                ),
                "metadata": "{}",
                "created": epoch(s.start_at),
            }
        ),
        full,
    )

    inv = world["invoices"]
    ps, pe = epoch(inv.period_start), epoch(inv.period_end)
    lines = []
    for iid, c, base, setup, a, b in zip(
        inv.invoice_id, inv.currency, inv.base_amount, inv.setup_amount, ps, pe, strict=True
    ):
        data = [
            {
                "id": "il_" + iid[3:],
                "object": "line_item",
                "amount": int(base),
                "currency": c,
                "description": "Revenue Journey Platform",
                "period": {"start": int(a), "end": int(b)},
                "quantity": 1,
            }
        ]
        if setup:
            data.append(
                {
                    "id": "il_s" + iid[4:],
                    "object": "line_item",
                    "amount": int(setup),
                    "currency": c,
                    "description": "Onboarding",
                    "quantity": 1,
                    "period": {"start": int(a), "end": int(a)},
                }
            )
        lines.append(
            json.dumps(
                {"object": "list", "data": data, "has_more": False, "total_count": len(data)}
            )
        )
    paid_at = pd.Series(epoch(inv.paid_at.fillna(inv.period_start))).where(inv.paid_at.notna())
    transitions = [
        json.dumps(
            {
                "finalized_at": int(a),
                "paid_at": None if pd.isna(x) else int(x),
                "voided_at": int(a) + 86400 if st == "void" else None,
            }
        )
        for a, x, st in zip(ps, paid_at, inv.status, strict=True)
    ]
    w.write(
        cb("invoices"),
        pd.DataFrame(
            {
                "id": inv.invoice_id,
                "object": "invoice",
                "customer": inv.customer_id,
                "subscription": inv.subscription_id,
                "status": inv.status,
                "currency": inv.currency,
                "amount_due": inv.total,
                "amount_paid": np.where(inv.status == "paid", inv.total, 0),
                "total": inv.total,
                "lines": lines,
                "period_start": ps,
                "period_end": pe,
                "status_transitions": transitions,
                "created": ps,
            }
        ),
        full,
    )

    ch = world["charges"]
    w.write(
        cb("charges"),
        pd.DataFrame(
            {
                "id": ch.charge_id,
                "object": "charge",
                "customer": ch.customer_id,
                "invoice": ch.invoice_id,
                "amount": ch.amount,
                "amount_refunded": ch.refund_amount,
                "currency": ch.currency,
                "status": np.where(ch.ok, "succeeded", "failed"),
                "paid": ch.ok,
                "refunded": (ch.refund_amount == ch.amount) & ch.ok,
                "failure_code": ch.failure_code,
                "created": epoch(ch.ts),
            }
        ),
        full,
    )
    rf = world["refunds"]
    w.write(
        cb("refunds"),
        pd.DataFrame(
            {
                "id": rf.refund_id,
                "object": "refund",
                "charge": rf.charge_id,
                "amount": rf.amount,
                "currency": rf.currency,
                "reason": rf.reason,
                "status": "succeeded",
                "created": epoch(rf.ts),
            }
        ),
        full,
    )


def _write_truth(world, truth: Path, w: Writer, ev, members, ld, forms) -> dict:
    """Ground truth for tests: who every record really is, and how each person was sourced."""
    con = w.con
    p = world["persons"]
    tt = world["touches"]
    first = tt.groupby("person_idx").head(1).set_index("person_idx")
    persons = pd.DataFrame(
        {
            "person_id": p.person_id,
            "account_id": p.account_id,
            "email": p.email,
            "is_free_mail": p.is_free_mail,
            "engaged": p.engaged,
            "first_touch_channel": CH_CHANNEL[
                first.ch.reindex(range(len(p))).fillna(0).astype(int)
            ],
            "first_touch_sub_channel": CH_SUB[
                first.ch.reindex(range(len(p))).fillna(0).astype(int)
            ],
            "first_touch_at": first.ts.reindex(range(len(p))).to_numpy(),
        }
    )
    persons.loc[
        first.ch.reindex(range(len(p))).isna().to_numpy(),
        ["first_touch_channel", "first_touch_sub_channel"],
    ] = None
    pid = p.person_id.to_numpy()
    ct = world["contacts"]
    clicks = world["clicks"]
    acts = world["activities"]
    who_person = pd.concat(
        [ld.set_index("lead_id").person_id, ct.set_index("contact_id").person_id]
    )
    records = pd.concat(
        [
            pd.DataFrame({"object": "leads", "record_id": ld.lead_id, "person_id": ld.person_id}),
            pd.DataFrame(
                {"object": "contacts", "record_id": ct.contact_id, "person_id": ct.person_id}
            ),
            pd.DataFrame(
                {
                    "object": "form_submissions",
                    "record_id": forms.submission_id,
                    "person_id": pid[forms.person_idx],
                }
            ),
            pd.DataFrame(
                {
                    "object": "email_events",
                    "record_id": ev.event_id,
                    "person_id": pid[ev._person.to_numpy()],
                }
            ),
            pd.DataFrame(
                {
                    "object": "campaign_members",
                    "record_id": members.Id,
                    "person_id": pid[members._person.to_numpy()],
                }
            ),
            pd.DataFrame(
                {
                    "object": "ad_clicks",
                    "record_id": clicks.click_id,
                    "person_id": np.where(
                        clicks.person_idx >= 0, pid[np.maximum(clicks.person_idx, 0)], None
                    ),
                }
            ),
            pd.DataFrame(
                {
                    "object": "tasks",
                    "record_id": acts.activity_id,
                    "person_id": who_person.reindex(acts.who_id).to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    o = world["opportunities"]
    opps = pd.DataFrame(
        {
            "opportunity_id": o.opportunity_id,
            "account_id": o.account_id,
            "sourced_by": o.sourced_by,
            "is_won": o.is_won,
            "true_channel": np.where(o.first_ch >= 0, CH_CHANNEL[np.maximum(o.first_ch, 0)], None),
            "true_sub_channel": np.where(o.first_ch >= 0, CH_SUB[np.maximum(o.first_ch, 0)], None),
        }
    )
    cu = world["customers"]
    customers = pd.DataFrame(
        {
            "customer_id": cu.customer_id,
            "crm_account_id": cu.account_id,
            "self_serve": cu.self_serve,
            "has_crm_id_in_metadata": cu.has_crm_id,
        }
    )
    touches = pd.DataFrame(
        {
            "person_id": pid[tt.person_idx.to_numpy()],
            "touched_at": tt.ts,
            "channel": CH_CHANNEL[tt.ch.to_numpy()],
            "sub_channel": CH_SUB[tt.ch.to_numpy()],
            "phase": tt.phase,
            "creates_lead": tt.creates_lead,
        }
    )
    malformed = pd.DataFrame(w.malformed, columns=["object", "record_id", "kind", "file"])
    out = {}
    for name, df in [
        ("persons", persons),
        ("records", records),
        ("opportunities", opps),
        ("customers", customers),
        ("touches", touches),
        ("malformed", malformed),
    ]:
        con.register("frame", df)
        con.execute(f"copy (select * from frame) to '{truth / name}.parquet' (format parquet)")
        con.unregister("frame")
        out[name] = len(df)
    return {"truth_rows": out, "malformed": len(malformed)}
