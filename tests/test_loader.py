"""Loader tests: real landing contracts, real DuckDB files, assertions on loaded values."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.landing.contracts import get_contract
from dagster_project.lib.landing.errors import LandingContractError, ReconciliationError
from dagster_project.lib.landing.loader import load_object
from dagster_project.lib.landing.manifest import (
    ParsedBatch,
    commit_batch,
    current_load,
    ensure_raw_tables,
)

OPPS = get_contract("crm", "opportunities")
CUSTOMERS = get_contract("billing", "customers")

OPP_HEADER = (
    "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,Probability,CloseDate,IsClosed,IsWon,"
    "OwnerId,CreatedDate,LastModifiedDate,IsDeleted"
)


def opp(
    id_: str,
    amount: str = "1000.50",
    created: str = "2026-01-05T10:00:00.000+0000",
    name: str = "Deal",
) -> str:
    return (
        f"{id_},001A,{name},Prospecting,{amount},EUR,10,2026-02-01,false,false,005A,"
        f"{created},2026-01-06T09:30:00.000+0000,false"
    )


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


def land(landing: Path, contract, name: str, text: str | bytes) -> Path:
    path = landing / contract.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def manifest(con) -> list[tuple]:
    return rows(
        con,
        "SELECT load_id, table_name, source_uri, size_bytes, sha256, rows_received, rows_loaded, "
        "rows_rejected, extra_columns, status, superseded_by FROM raw_meta.load_manifest "
        "ORDER BY load_id",
    )


# ----------------------------------------------------------------------------------------- CSV
def test_clean_csv_loads_with_types_and_lineage(con, landing):
    text = "\n".join(
        [
            OPP_HEADER,
            opp("006A", "1000.50", "2026-01-05T10:00:00.000+0000"),
            opp("006B", "20", "2026-01-05T10:00:00.000-0500"),
            opp("006C", "0.10", "2026-01-05T10:00:00Z"),
            opp("006D", "", "2026-01-05T10:00:00+02:00"),
        ]
    )
    path = land(landing, OPPS, "opportunities_1.csv", text + "\n")

    result = load_object(con, OPPS, landing)

    assert (result.files_seen, result.files_loaded, result.files_skipped) == (1, 1, 0)
    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (4, 4, 0)
    assert result.extra_columns == {}
    got = rows(
        con,
        'SELECT "Id", "Amount", "CreatedDate", "CloseDate", "IsClosed", "Probability", '
        '"Loss_Reason__c", _extra, _source_uri, _source_line, _load_id, _source_seq, _loaded_at '
        "FROM raw_crm.opportunities ORDER BY _source_line",
    )
    assert [(r[0], r[1], r[2]) for r in got] == [
        ("006A", Decimal("1000.50"), datetime(2026, 1, 5, 10, 0, tzinfo=UTC)),
        ("006B", Decimal("20.00"), datetime(2026, 1, 5, 15, 0, tzinfo=UTC)),
        ("006C", Decimal("0.10"), datetime(2026, 1, 5, 10, 0, tzinfo=UTC)),
        ("006D", None, datetime(2026, 1, 5, 8, 0, tzinfo=UTC)),
    ]
    assert {(r[3], r[4], r[5], r[6], r[7]) for r in got} == {
        (date(2026, 2, 1), False, 10, None, None)
    }
    assert [r[8:10] for r in got] == [
        ("crm/opportunities/opportunities_1.csv", n) for n in (2, 3, 4, 5)
    ]
    (load_id, loaded_at) = rows(con, "SELECT load_id, loaded_at FROM raw_meta.load_manifest")[0]
    assert {(r[10], r[11], r[12]) for r in got} == {(load_id, load_id, loaded_at)}
    assert manifest(con) == [
        (
            load_id,
            "raw_crm.opportunities",
            "crm/opportunities/opportunities_1.csv",
            path.stat().st_size,
            hashlib.sha256(path.read_bytes()).hexdigest(),
            4,
            4,
            0,
            [],
            "loaded",
            None,
        )
    ]
    types = dict(
        rows(
            con,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw_crm' AND table_name = 'opportunities'",
        )
    )
    assert types["Amount"] == "DECIMAL(18,2)"
    assert types["CreatedDate"] == "TIMESTAMP WITH TIME ZONE"
    assert [types[c] for c in ("_extra", "_source_line", "_load_id")] == [
        "JSON",
        "BIGINT",
        "BIGINT",
    ]


def test_rerun_loads_nothing_and_a_new_file_appends(con, landing):
    land(landing, OPPS, "opportunities_1.csv", f"{OPP_HEADER}\n{opp('006A')}\n{opp('006B')}\n")
    load_object(con, OPPS, landing)
    before = manifest(con)

    again = load_object(con, OPPS, landing)

    assert (again.files_seen, again.files_skipped, again.files_loaded) == (1, 1, 0)
    assert (again.rows_received, again.rows_loaded) == (0, 0)
    assert manifest(con) == before
    assert rows(con, "SELECT count(*) FROM raw_crm.opportunities") == [(2,)]

    land(landing, OPPS, "opportunities_2.csv", f"{OPP_HEADER}\n{opp('006C')}\n")
    third = load_object(con, OPPS, landing)

    assert (third.files_seen, third.files_skipped, third.files_loaded) == (2, 1, 1)
    assert third.rows_loaded == 1
    assert [f.source_uri for f in third.files if f.status == "loaded"] == [
        "crm/opportunities/opportunities_2.csv"
    ]
    assert rows(con, 'SELECT "Id", _source_uri FROM raw_crm.opportunities ORDER BY 1') == [
        ("006A", "crm/opportunities/opportunities_1.csv"),
        ("006B", "crm/opportunities/opportunities_1.csv"),
        ("006C", "crm/opportunities/opportunities_2.csv"),
    ]
    assert len(manifest(con)) == 2


def test_changed_file_replaces_its_rows_and_rejects(con, landing):
    name = "opportunities_1.csv"
    land(landing, OPPS, name, f"{OPP_HEADER}\n{opp('006A', '1.00')}\n{opp('006B', 'oops')}\n")
    first = load_object(con, OPPS, landing)
    assert (first.rows_loaded, first.rows_rejected) == (1, 1)

    land(landing, OPPS, name, f"{OPP_HEADER}\n{opp('006A', '2.00')}\n{opp('006C', '3.00')}\n")
    second = load_object(con, OPPS, landing)

    assert (second.files_seen, second.files_replaced, second.files_loaded) == (1, 1, 0)
    assert second.files[0].status == "replaced"
    assert rows(con, 'SELECT "Id", "Amount" FROM raw_crm.opportunities ORDER BY 1') == [
        ("006A", Decimal("2.00")),
        ("006C", Decimal("3.00")),
    ]
    assert rows(con, "SELECT count(*) FROM raw_meta.load_rejects") == [(0,)]
    (old, new) = manifest(con)
    assert (old[9], old[10]) == ("loaded", new[0])  # history kept, superseded by the new load
    assert (new[9], new[10], new[6], new[7]) == ("replaced", None, 2, 0)
    assert new[0] > old[0]
    assert rows(con, "SELECT load_id, status FROM raw_meta.current_files") == [(new[0], "replaced")]
    assert current_load(con, OPPS.table, f"crm/opportunities/{name}") == (new[0], new[4])
    assert rows(con, "SELECT DISTINCT _load_id FROM raw_crm.opportunities") == [(new[0],)]


def test_a_changed_old_file_keeps_its_place_in_the_export_order(con, landing):
    """Re-delivering an older export must not make its versions newer than a later export's:
    `_source_seq` stays the arrival order of the file's first load."""
    land(landing, OPPS, "opportunities_1.csv", f"{OPP_HEADER}\n{opp('006A', '1.00')}\n")
    land(landing, OPPS, "opportunities_2.csv", f"{OPP_HEADER}\n{opp('006A', '2.00')}\n")
    load_object(con, OPPS, landing)
    before = dict(rows(con, "SELECT _source_uri, _source_seq FROM raw_crm.opportunities"))
    land(landing, OPPS, "opportunities_1.csv", f"{OPP_HEADER}\n{opp('006A', '1.50')}\n")
    assert load_object(con, OPPS, landing).files_replaced == 1
    after = dict(rows(con, "SELECT _source_uri, _source_seq FROM raw_crm.opportunities"))
    assert after == before
    newest = rows(
        con,
        """SELECT "Amount" FROM raw_crm.opportunities
                          ORDER BY _source_seq DESC, _source_line DESC LIMIT 1""",
    )
    assert newest == [(Decimal("2.00"),)]


def test_malformed_csv_rows_are_rejected_with_line_column_and_reason(con, landing):
    lines = [
        OPP_HEADER,  # 1
        opp("006A"),  # 2
        opp("006B", amount="12,50"),  # 3: too many columns (unquoted comma)
        opp("006C", amount="abc"),  # 4: decimal that does not parse
        opp("006D", created="yesterday"),  # 5: timestamp that does not parse
        "006E,001A,Short,Prospecting",  # 6: too few columns
        opp("006F", name='"Multi\nline ""deal"""'),  # 7-8: a quoted newline is fine
        "",  # 9: blank lines are not records
        opp("006G", amount="x", name='"Also\nmulti"'),  # 10-11: bad and multi-line
        opp("006H"),  # 12
    ]
    land(landing, OPPS, "bad.csv", "\n".join(lines) + "\n")

    result = load_object(con, OPPS, landing)

    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (8, 3, 5)
    assert result.rows_loaded + result.rows_rejected == result.rows_received
    assert rows(
        con, 'SELECT "Id", "Name", _source_line FROM raw_crm.opportunities ORDER BY _source_line'
    ) == [("006A", "Deal", 2), ("006F", 'Multi\nline "deal"', 7), ("006H", "Deal", 12)]
    rejects = rows(
        con,
        "SELECT source_uri, line, column_name, error_type, reason, raw_record "
        "FROM raw_meta.load_rejects ORDER BY line, column_name",
    )
    assert {r[0] for r in rejects} == {"crm/opportunities/bad.csv"}
    by_line = {}
    for _, line, column, error_type, reason, raw in rejects:
        by_line.setdefault(line, []).append((column, error_type, reason, raw))
    assert sorted(by_line) == [3, 4, 5, 6, 10]
    assert "TOO MANY COLUMNS" in {e[1] for e in by_line[3]}  # (shifted values also fail casts)
    assert by_line[4] == [("Amount", "CAST", by_line[4][0][2], lines[3])]
    assert '"abc"' in by_line[4][0][2]
    assert [(c, t) for c, t, _, _ in by_line[5]] == [("CreatedDate", "CAST")]
    assert '"yesterday"' in by_line[5][0][2]
    assert {t for _, t, _, _ in by_line[6]} == {"MISSING COLUMNS"}
    assert len(by_line[6]) > 1  # one reject row per missing column, still one rejected row
    assert by_line[6][0][3] == lines[5]
    assert [(c, t) for c, t, _, _ in by_line[10]] == [("Amount", "CAST")]
    assert by_line[10][0][3].startswith('006G,001A,"Also\nmulti"')
    (m,) = manifest(con)
    assert (m[5], m[6], m[7]) == (8, 3, 5)


@pytest.mark.parametrize(
    ("newline", "bom"), [("\r\n", b""), ("\n", b"\xef\xbb\xbf"), ("\r\n", b"\xef\xbb\xbf")]
)
def test_line_numbers_hold_for_crlf_and_bom(con, landing, newline, bom):
    text = newline.join(
        [
            OPP_HEADER,
            opp("006A", name=f'"two{newline}lines"'),
            opp("006B", amount="bad"),
            "",
            opp("006C", created="never"),
            opp("006D"),
        ]
    )
    land(landing, OPPS, "crlf.csv", bom + (text + newline).encode())

    result = load_object(con, OPPS, landing)

    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(con, 'SELECT "Id", _source_line FROM raw_crm.opportunities ORDER BY 2') == [
        ("006A", 2),
        ("006D", 7),
    ]
    assert rows(con, "SELECT line, column_name FROM raw_meta.load_rejects ORDER BY 1") == [
        (4, "Amount"),
        (6, "CreatedDate"),
    ]


def test_missing_required_column_fails_naming_file_and_column(con, landing):
    land(landing, OPPS, "a_good.csv", f"{OPP_HEADER}\n{opp('006A')}\n")
    header = OPP_HEADER.replace("StageName,", "")
    row = opp("006B").replace("Prospecting,", "")
    land(landing, OPPS, "b_no_stage.csv", f"{header}\n{row}\n")

    with pytest.raises(LandingContractError) as err:
        load_object(con, OPPS, landing)

    message = str(err.value)
    assert "b_no_stage.csv" in message and "StageName" in message
    assert "raw_crm.opportunities" in message
    assert rows(con, "SELECT DISTINCT _source_uri FROM raw_crm.opportunities") == [
        ("crm/opportunities/a_good.csv",)
    ]
    assert [m[2] for m in manifest(con)] == ["crm/opportunities/a_good.csv"]


def test_duplicate_header_column_fails(con, landing):
    land(landing, OPPS, "dup.csv", f"{OPP_HEADER},amount\n{opp('006A')},1\n")
    with pytest.raises(LandingContractError, match=r"dup\.csv.*duplicate.*Amount"):
        load_object(con, OPPS, landing)
    assert rows(con, "SELECT count(*) FROM raw_crm.opportunities") == [(0,)]


def test_extra_columns_are_kept_in_extra_and_reported(con, landing):
    # header names match case-insensitively after trimming; unknown ones are kept, not dropped
    header = OPP_HEADER.replace("Amount", " amount ") + ",Region__c,Partner Name"
    land(landing, OPPS, "extra.csv", f"{header}\n{opp('006A')},EMEA,\n{opp('006B')},NA,Acme\n")

    result = load_object(con, OPPS, landing)

    uri = "crm/opportunities/extra.csv"
    assert result.extra_columns == {uri: ["Region__c", "Partner Name"]}
    got = rows(con, 'SELECT "Id", "Amount", _extra FROM raw_crm.opportunities ORDER BY 1')
    assert [(i, a, json.loads(e)) for i, a, e in got] == [
        ("006A", Decimal("1000.50"), {"Region__c": "EMEA", "Partner Name": None}),
        ("006B", Decimal("1000.50"), {"Region__c": "NA", "Partner Name": "Acme"}),
    ]
    assert manifest(con)[0][8] == ["Region__c", "Partner Name"]


# -------------------------------------------------------------------------------------- NDJSON
def customer(**fields) -> str:
    record = {
        "id": "cus_1",
        "object": "customer",
        "email": "a@example.com",
        "metadata": {"crm_account_id": "001A"},
        "created": 1767571200,
        "livemode": False,
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not ...})


def test_ndjson_loads_valid_lines_and_rejects_bad_ones(con, landing):
    lines = [
        customer(id="cus_1", created="1767571200", tax_exempt="none"),  # 1: string number
        "",  # 2: blank, not a record
        '{"id": "cus_2", "object": "customer",',  # 3: broken JSON
        customer(id="cus_3", created="abc"),  # 4: does not cast to BIGINT
        "[1, 2]",  # 5: JSON, but not an object
        customer(id="cus_6", metadata=None, email=..., delinquent=True, ID="x"),  # 6
        "   ",  # 7: blank
        customer(id="cus_8", created="12x", livemode="maybe"),  # 8: two bad casts
    ]
    land(landing, CUSTOMERS, "customers.ndjson", "\n".join(lines) + "\n")

    result = load_object(con, CUSTOMERS, landing)

    uri = "billing/customers/customers.ndjson"
    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (6, 2, 4)
    assert result.extra_columns == {uri: ["ID", "tax_exempt"]}  # keys are case-sensitive
    got = rows(
        con,
        "SELECT id, email, metadata, created, livemode, delinquent, _extra, _source_line "
        "FROM raw_billing.customers ORDER BY _source_line",
    )
    assert [(r[0], r[1], r[3], r[4], r[5], r[7]) for r in got] == [
        ("cus_1", "a@example.com", 1767571200, False, None, 1),
        ("cus_6", None, 1767571200, False, True, 6),
    ]
    assert json.loads(got[0][2]) == {"crm_account_id": "001A"}
    assert got[1][2] is None  # JSON null is SQL NULL
    assert json.loads(got[0][6]) == {"tax_exempt": "none"}
    assert json.loads(got[1][6]) == {"ID": "x"}
    rejects = rows(
        con,
        "SELECT line, column_name, error_type, reason, raw_record FROM raw_meta.load_rejects "
        "ORDER BY line, column_name",
    )
    assert [r[:3] for r in rejects] == [
        (3, None, "MALFORMED JSON"),
        (4, "created", "CAST"),
        (5, None, "MALFORMED JSON"),
        (8, "created", "CAST"),
        (8, "livemode", "CAST"),
    ]
    assert rejects[1][3] == 'could not convert "abc" to BIGINT'
    assert rejects[4][3] == 'could not convert "maybe" to BOOLEAN'
    assert [r[4] for r in rejects] == [lines[2], lines[3], lines[4], lines[7], lines[7]]
    assert manifest(con)[0][5:10] == (6, 2, 4, ["ID", "tax_exempt"], "loaded")


def test_ndjson_required_key_missing_from_every_record_fails(con, landing):
    land(
        landing,
        CUSTOMERS,
        "no_livemode.jsonl",
        "\n".join(customer(id=f"cus_{i}", livemode=...) for i in range(3)) + "\n",
    )
    with pytest.raises(LandingContractError) as err:
        load_object(con, CUSTOMERS, landing)
    assert "no_livemode.jsonl" in str(err.value) and "livemode" in str(err.value)
    assert rows(con, "SELECT count(*) FROM raw_billing.customers") == [(0,)]
    assert manifest(con) == []


# ------------------------------------------------------------------------ commit for other sources
def _api_page(con, ids: list[str]) -> None:
    con.execute("DROP TABLE IF EXISTS api_page")
    con.execute(
        "CREATE TEMP TABLE api_page AS SELECT 'cus_' || i AS id, 'customer' AS object, "
        "'{}'::JSON AS metadata, 1767571200 AS created, false AS livemode, "
        "row_number() OVER () AS _source_line FROM unnest(?::VARCHAR[]) t(i)",
        [ids],
    )


def test_commit_batch_serves_an_api_connector_and_rolls_back_on_mismatch(con):
    ensure_raw_tables(con, [CUSTOMERS])
    uri = "stripe-api://customers?starting_after=cus_0"
    _api_page(con, ["1", "2"])
    batch = ParsedBatch(uri, "sha-page-1", None, "api_page", None, rows_received=2)

    loaded = commit_batch(con, CUSTOMERS, batch)

    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected) == ("loaded", 2, 0)
    assert rows(con, "SELECT id, _source_uri, _source_line FROM raw_billing.customers") == [
        ("cus_1", uri, 1),
        ("cus_2", uri, 2),
    ]

    _api_page(con, ["1", "2", "3"])
    short = ParsedBatch(uri, "sha-page-1b", None, "api_page", None, rows_received=4)
    with pytest.raises(ReconciliationError, match="stripe-api://customers"):
        commit_batch(con, CUSTOMERS, short)
    # the failed commit changed nothing: old rows and manifest are intact
    assert rows(con, "SELECT count(*) FROM raw_billing.customers") == [(2,)]
    assert [(m[4], m[9], m[10]) for m in manifest(con)] == [("sha-page-1", "loaded", None)]
