"""The CSV reader: DuckDB's ``read_csv`` (typed, ``store_rejects``) for the values, and a table of
the file's physical lines, read independently, for counting records and placing every row and
reject on the line where its record starts."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from dagster_project.lib.landing.contracts import Contract
from dagster_project.lib.landing.errors import LandingContractError, ReconciliationError
from dagster_project.lib.landing.fingerprint import FileFingerprint, open_text
from dagster_project.lib.landing.manifest import ParsedBatch
from dagster_project.lib.landing.read_common import (
    MAX_RECORD_BYTES,
    TMP,
    empty_batch,
    finish_batch,
    integer_cast,
    read_lines,
    record_text,
)
from dagster_project.lib.sql import ident as _ident
from dagster_project.lib.sql import literal as _lit
from dagster_project.lib.sql import scalar as _scalar

# RFC 4180 fields as RE2 patterns. DuckDB reads a quote inside an unquoted value literally
# ("lenient"); RFC 4180 allows a quote only around a whole value, doubled inside it ("strict").
_Q = '"(?:[^"]|"")*"'
_FL = f'(?:{_Q}|[^,"][^,]*)?'
_FS = f'(?:{_Q}|[^,"]*)'
COMPLETE_STRICT = f"{_FS}(?:,{_FS})*"  # a whole record on one line, RFC 4180
COMPLETE = f"{_FL}(?:,{_FL})*"  # ... as DuckDB reads it
OPENING = f'(?:{_FL},)*"(?:[^"]|"")*'  # ends inside a quoted value
OPENING_STRICT = f'(?:{_FS},)*"(?:[^"]|"")*'
MIDDLE = '(?:[^"]|"")*'  # inside a quoted value from start to end
REOPEN = f'(?:[^"]|"")*"(?:,{_FL})*,"(?:[^"]|"")*'  # closes one quoted value, opens another
DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe", "^": "caret", "`": "back quote"}
STRAY_QUOTE = (
    "a '\"' inside an unquoted value (RFC 4180 allows quotes only around a whole value, "
    "doubled inside it): the record's layout is ambiguous"
)


def _read_csv_header(path: Path, contract: Contract) -> list[str]:
    """The file's header names, trimmed; checks required columns and duplicates, and names the
    delimiter when the header is separated by something else than commas."""
    try:
        with open_text(path) as fh:
            first = fh.readline()
    except UnicodeDecodeError as exc:
        raise LandingContractError(f"{path}: the file is not UTF-8 encoded: {exc}") from exc
    try:
        header = next(csv.reader([first], delimiter=",", quotechar='"', doublequote=True), None)
    except csv.Error as exc:
        raise LandingContractError(f"{path}: cannot read the CSV header: {exc}") from exc
    if not header:
        raise LandingContractError(
            f"{path}: line 1 holds no header; {contract.table} files start with a header line"
        )
    names = [h.strip() or f"_col{i}" for i, h in enumerate(header, start=1)]
    lowered = [n.lower() for n in names]
    duplicates = sorted({n for n in names if lowered.count(n.lower()) > 1}, key=str.lower)
    if duplicates:
        raise LandingContractError(
            f"{path}: duplicate header column(s) {', '.join(duplicates)} in a {contract.table} file"
        )
    required = [c.name for c in contract.columns if c.required]
    missing = [c for c in required if c.lower() not in lowered]
    if missing:
        hint = ""
        for delim, label in DELIMITERS.items():
            alt = next(csv.reader([first], delimiter=delim), [])
            found = {a.strip().lower() for a in alt} & {c.lower() for c in required}
            if len(alt) > 1 and found:
                hint = (
                    f": the header is separated by {label}s ({delim!r}), not commas ("
                    f"{len(found)} of the {len(required)} required columns appear when split at "
                    f"{delim!r}); the loader reads comma-separated files: re-export with a comma "
                    "delimiter (Salesforce Bulk API 2.0: columnDelimiter=COMMA)"
                )
                break
        raise LandingContractError(
            f"{path}: required column(s) {', '.join(missing)} missing from the header of a "
            f"{contract.table} file (header: {', '.join(names)[:300]}){hint}"
        )
    return names


def parse_csv(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    source_uri: str,
    fingerprint: FileFingerprint,
) -> ParsedBatch:
    """Parse a CSV landing file into temp relations ``_ldr_rows`` and ``_ldr_rejects``.

    Header names match contract columns case-insensitively; unknown columns are read as VARCHAR
    and packed into ``_extra``. Values that do not cast, lines with too many / too few fields and
    lines over ``MAX_RECORD_BYTES`` go to the rejects (DuckDB ``store_rejects``), and so do
    integers with a fraction, control characters, a stray quote in an unquoted value and a last
    record the file's end cut off ('TRUNCATED'); the load goes on. An empty file, or one with
    only its header, loads nothing.

    ``_source_line`` and reject ``line`` are the physical line where the record starts (header =
    line 1), also when quoted values span lines: both come from a record table derived from the
    raw lines, not from DuckDB's reject line numbers (see the comments in the body).
    """
    fp = fingerprint
    if fp.content_bytes <= fp.bom_bytes:
        return empty_batch(con, contract, source_uri, fp)
    # Raw physical lines, for counting records and placing them (see below). Lines with a quote
    # that are not a complete RFC 4180 record keep their text for a closer look.
    read_lines(
        con,
        path,
        fp,
        f"{TMP}lines",
        "line IS NULL AS blank, coalesce(strlen(line), 0) AS nbytes, hash(left(line, 1000)) AS h, "
        f"CASE WHEN contains(line, '\"') AND NOT regexp_full_match(line, {_lit(COMPLETE_STRICT)}) "
        "THEN line END AS text",
    )
    if not _scalar(con, f"SELECT count(*) FROM {TMP}lines WHERE NOT blank"):
        return empty_batch(con, contract, source_uri, fp)
    header = _read_csv_header(path, contract)
    by_lower = {c.name.lower(): c for c in contract.columns}
    read_columns: dict[str, str] = {}
    extras: list[str] = []
    integers: list[str] = []
    for name in header:
        col = by_lower.get(name.lower())
        if col is None:
            extras.append(name)
            read_columns[name] = "VARCHAR"
        elif col.is_integer:  # read as text, cast strictly below (DuckDB would round 1.5)
            integers.append(col.name)
            read_columns[col.name] = "VARCHAR"
        else:
            read_columns[col.name] = col.type
    multiline, unterminated, stray = _records(con, fp)
    rows_received = int(
        _scalar(con, f"SELECT count(*) FROM {TMP}recs WHERE rec_no > 1 AND NOT blank")
    )

    select = [
        f"{_ident(c.name)}" if c.name in read_columns else f"NULL::{c.type} AS {_ident(c.name)}"
        for c in contract.columns
    ]
    if extras:
        pairs = ", ".join(f"{_lit(e)}, {_ident(e)}" for e in extras)
        select.append(f"json_object({pairs}) AS _extra")
    else:
        select.append("NULL::JSON AS _extra")
    try:
        # Every column is projected: DuckDB only casts (and so only rejects) what it reads.
        con.execute(
            f"CREATE TEMP TABLE {TMP}parsed AS SELECT {', '.join(select)} FROM read_csv(?, "
            "header = true, auto_detect = false, columns = ?, delim = ',', quote = '\"', "
            f"escape = '\"', max_line_size = {MAX_RECORD_BYTES}, store_rejects = true, "
            f"rejects_table = '{TMP}csv_rejects', rejects_scan = '{TMP}csv_scans')",
            [str(path), read_columns],
        )
    except duckdb.Error as exc:
        detail = str(exc).split("\n", 1)[0][:300]
        raise LandingContractError(f"{path}: DuckDB could not read the file: {detail}") from exc

    rejects = _place_rejects(con, fp, path, multiline)
    con.execute(
        f"CREATE TEMP TABLE {TMP}keep AS SELECT line_no FROM {TMP}recs k "
        "WHERE rec_no > 1 AND NOT blank"
        + (f" AND rec_no NOT IN (SELECT rec_no FROM {rejects})" if rejects else "")
        + " ORDER BY rec_no"
    )
    parsed = int(_scalar(con, f"SELECT count(*) FROM {TMP}parsed"))
    kept = int(_scalar(con, f"SELECT count(*) FROM {TMP}keep"))
    if parsed != kept:
        raise ReconciliationError(
            f"{path}: DuckDB parsed {parsed} good rows, but {rows_received} records minus the "
            f"rejected ones leave {kept}; quoting that is not RFC 4180 makes the records "
            "ambiguous; nothing committed"
        )
    # Both tables are in file order (rowid = position), so row i of the parse is record i of
    # the kept ones. Usually (no blank, multi-line or rejected records) that is line i + 2.
    if _scalar(con, f"SELECT count(*) FROM {TMP}keep WHERE line_no <> rowid + 2"):
        source_line, join = "k.line_no", f" JOIN {TMP}keep k ON k.rowid = p.rowid"
    else:
        source_line, join = "p.rowid + 2", ""
    con.execute(
        f"CREATE TEMP VIEW {TMP}cand AS SELECT p.*, {source_line} AS _source_line "
        f"FROM {TMP}parsed p{join}"
    )
    checks, last = [], _last_record(con)
    truncated = last if unterminated or not fp.ends_with_newline else None
    if truncated is not None:
        rejected_last = rejects and _scalar(
            con, f"SELECT count(*) FROM {rejects} WHERE line = ?", [truncated]
        )
        if rejected_last:
            _mark_truncated(con, rejects, truncated, header, unterminated)
        elif unterminated:  # (DuckDB rejects an open quote at the end; in case it did not)
            checks.append(
                f"SELECT _source_line AS line, NULL AS column_name, 'TRUNCATED' AS error_type, "
                f"'the file ends inside a quoted value: it looks truncated' AS reason "
                f"FROM {TMP}cand WHERE _source_line = {truncated}"
            )
    if stray:
        checks.append(
            f"SELECT _source_line AS line, NULL AS column_name, 'STRAY QUOTE' AS error_type, "
            f"{_lit(STRAY_QUOTE)} AS reason FROM {TMP}cand "
            f"WHERE _source_line IN (SELECT line_no FROM {TMP}stray)"
        )
    columns = {}
    for col in contract.columns:
        if col.name in integers:
            value, failed, reason = integer_cast(_ident(col.name), col.type)
            columns[col.name] = value
            checks.append(
                f"SELECT _source_line AS line, {_lit(col.name)} AS column_name, 'CAST' AS "
                f"error_type, {reason} AS reason FROM {TMP}cand WHERE {failed}"
            )
        else:
            columns[col.name] = _ident(col.name)
    return finish_batch(
        con,
        contract,
        candidates=f"{TMP}cand",
        columns=columns,
        rejects=rejects,
        extra_rejects=checks,
        control=fp.has_control,
        raw=None,
        raw_fetch=lambda lines: record_text(path, fp, _spans(con, fp, lines, multiline)),
        source_uri=source_uri,
        fp=fp,
        rows_received=rows_received,
        extras=extras,
    )


def _records(con: duckdb.DuckDBPyConnection, fp: FileFingerprint) -> tuple[bool, bool, bool]:
    """Build ``_ldr_recs`` (one row per record: rec_no, line_no, blank, start_byte, h) from the
    lines; return (some record spans lines, the file ends inside a quoted value, some line
    holds a stray quote (``_ldr_stray``)).

    A line starts a record unless it begins inside a quoted value. Whether it does is decided
    by the lines before it: each line maps the state at its start (inside a quoted value or
    not) to the state at its end. Lines without quotes, or holding complete RFC 4180 records,
    keep the state; the few others are classified with regular expressions (as DuckDB reads
    them: a quote that does not open a value is literal). The state at every line is then one
    window pass: the last line that sets the state whatever it starts in, plus the parity of
    the lines that flip it since. Blank records are skipped, as DuckDB does; the header is
    record 1.
    """
    con.execute(
        f"CREATE TEMP TABLE {TMP}cls AS SELECT line_no, "
        f"regexp_full_match(text, {_lit(OPENING)})::INT AS a, "
        f"(regexp_full_match(text, {_lit(MIDDLE)}) OR regexp_full_match(text, {_lit(REOPEN)}))"
        "::INT AS b, CASE "
        f"WHEN regexp_full_match(text, {_lit(OPENING)}) THEN NOT regexp_full_match(text, "
        f"{_lit(OPENING_STRICT)}) ELSE true END AS stray "  # (complete only when lenient)
        f"FROM (SELECT rowid + 1 AS line_no, text FROM {TMP}lines) WHERE text IS NOT NULL"
    )
    nl, bom = fp.newline_bytes, fp.bom_bytes
    if not _scalar(con, f"SELECT count(*) FROM {TMP}cls"):  # every line is a record
        con.execute(
            f"CREATE TEMP VIEW {TMP}recs AS SELECT rowid + 1 AS rec_no, rowid + 1 AS line_no, "
            f"blank, h FROM {TMP}lines"
        )
        return False, False, False
    con.execute(
        f"""CREATE TEMP TABLE {TMP}state AS
        SELECT line_no, blank, h, start_byte, a, b, stray,
               (coalesce(lc.c, 0) + sw - coalesce(lc.s, 0)) % 2 AS st
        FROM (
            SELECT *, last_value(CASE WHEN a = b THEN {{'c': a, 's': sw}} END IGNORE NULLS)
                OVER (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS lc
            FROM (
                SELECT l.rowid + 1 AS line_no, l.blank, l.h, coalesce(c.a, 0) AS a,
                       coalesce(c.b, 1) AS b, coalesce(c.stray, false) AS stray,
                       {bom} + coalesce(sum(l.nbytes + {nl}) OVER w, 0) AS start_byte,
                       coalesce(sum((coalesce(c.a, 0) = 1 AND coalesce(c.b, 1) = 0)::INT)
                           OVER w, 0) AS sw
                FROM {TMP}lines l LEFT JOIN {TMP}cls c ON c.line_no = l.rowid + 1
                WINDOW w AS (ORDER BY l.rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
            )
        )"""
    )
    con.execute(
        f"CREATE TEMP TABLE {TMP}recs AS SELECT row_number() OVER (ORDER BY line_no) AS rec_no, "
        f"line_no, blank, start_byte, h FROM {TMP}state WHERE st = 0 ORDER BY line_no"
    )
    con.execute(
        f"CREATE TEMP TABLE {TMP}stray AS SELECT line_no FROM {TMP}state "
        "WHERE st = 0 AND stray AND line_no > 1"
    )
    multiline = bool(_scalar(con, f"SELECT count(*) FROM {TMP}state WHERE st = 1"))
    end = _scalar(
        con,
        f"SELECT CASE WHEN st = 0 THEN a ELSE b END FROM {TMP}state ORDER BY line_no DESC LIMIT 1",
    )
    stray = bool(_scalar(con, f"SELECT count(*) FROM {TMP}stray"))
    return multiline, bool(end), stray


def _place_rejects(
    con: duckdb.DuckDBPyConnection, fp: FileFingerprint, path: Path, multiline: bool
) -> str | None:
    """Map DuckDB's rejects to the records they belong to (``_ldr_rejects``), or None.

    DuckDB numbers reject lines by record (blank lines count, the header is 1). Without quoted
    newlines that is the physical line. With them it is not even reliable (DuckDB 2.0), but
    its line_byte_position lands within two bytes of the record start, so each reject is
    mapped to the record starting at or before it (ASOF join on byte offsets; the CRs of a file
    that mixes CRLF and LF are taken out first). Either way the mapping is verified by
    comparing the record's first line with the rejected text.
    """
    if not _scalar(con, f"SELECT count(*) > 0 FROM {TMP}csv_rejects"):
        return None
    source = f"{TMP}csv_rejects"
    if multiline and fp.crlf_offsets:
        con.execute(
            f"CREATE TEMP TABLE {TMP}crlf AS SELECT p, row_number() OVER (ORDER BY p) AS n "
            "FROM (SELECT unnest(?::BIGINT[]) AS p)",
            [list(fp.crlf_offsets)],
        )
        con.execute(
            f"CREATE TEMP VIEW {TMP}csv_rejects_lf AS SELECT r.* REPLACE "
            "(r.line_byte_position - coalesce(c.n, 0) AS line_byte_position) "
            f"FROM {TMP}csv_rejects r ASOF LEFT JOIN {TMP}crlf c ON r.line_byte_position > c.p"
        )
        source = f"{TMP}csv_rejects_lf"
    rejects = f"{TMP}rejects"
    place = (
        f"ASOF LEFT JOIN (SELECT * FROM {TMP}recs WHERE NOT blank) k "
        "ON r.line_byte_position + 2 >= k.start_byte"
        if multiline
        else f"LEFT JOIN {TMP}recs k ON k.rec_no = r.line"
    )
    con.execute(
        f"CREATE TEMP TABLE {rejects} AS SELECT k.line_no AS line, r.column_name, "
        "r.error_type::VARCHAR AS error_type, r.error_message AS reason, "
        "r.raw AS raw_record, k.rec_no, r.line AS duckdb_line, k.h IS NOT DISTINCT FROM "
        "hash(left(rtrim(split_part(r.raw, chr(10), 1), chr(13)), 1000)) AS verified "
        "FROM (SELECT *, ltrim(csv_line, chr(13) || chr(10)) AS raw "
        f"FROM {source}) r {place}"
    )
    unplaced = con.execute(
        f"SELECT min(duckdb_line), count(*) FROM {rejects} "
        "WHERE line IS NULL OR rec_no <= 1 OR NOT verified"
    ).fetchone()
    if unplaced and unplaced[1]:
        raise ReconciliationError(
            f"{path}: cannot place the record DuckDB rejected near line {unplaced[0]} "
            "(non RFC-4180 quoting?); nothing committed"
        )
    con.execute(f"ALTER TABLE {rejects} DROP COLUMN duckdb_line")
    con.execute(f"ALTER TABLE {rejects} DROP COLUMN verified")
    return rejects


def _last_record(con: duckdb.DuckDBPyConnection) -> int | None:
    return _scalar(con, f"SELECT max(line_no) FROM {TMP}recs WHERE rec_no > 1 AND NOT blank")


def _mark_truncated(
    con: duckdb.DuckDBPyConnection, rejects: str, line: int, header: list[str], open_quote: bool
) -> None:
    """The file ends inside its last record, which DuckDB rejected: one 'TRUNCATED' reject
    naming the column the cut is in, in place of DuckDB's (kept in the reason)."""
    rows = con.execute(
        f"SELECT column_name, error_type, reason, raw_record, rec_no FROM {rejects} "
        "WHERE line = ? ORDER BY column_name NULLS LAST",
        [line],
    ).fetchall()
    found = [int(m.group(1)) for r in rows if (m := re.search(r"Found: (\d+)", r[2] or ""))]
    if found and 0 < min(found) <= len(header):
        column = header[min(found) - 1]
    else:
        column = next((r[0] for r in rows if r[0]), None)
    how = "inside a quoted value" if open_quote else "without a final newline"
    causes = "; ".join(dict.fromkeys(f"{r[1]}: {r[2]}" for r in rows))
    reason = (
        f"the file ends {how} in this record"
        + (f", cut inside column {column}" if column else "")
        + f": it looks truncated, the rows after the cut are missing (DuckDB: {causes})"
    )[:2000]
    con.execute(f"DELETE FROM {rejects} WHERE line = ?", [line])
    con.execute(
        f"INSERT INTO {rejects} VALUES (?, ?, 'TRUNCATED', ?, ?, ?)",
        [line, column, reason, rows[0][3], rows[0][4]],
    )


def _spans(
    con: duckdb.DuckDBPyConnection, fp: FileFingerprint, lines: list[int], multiline: bool
) -> list[tuple[int, int, int | None]]:
    """Byte spans ``(line, start, end)`` of the records starting at ``lines`` (end None: to
    the end of the file), for the raw text of post-parse rejects."""
    nl = fp.newline_bytes
    if multiline:
        sql = (
            f"SELECT line_no, start_byte, lead(start_byte) OVER (ORDER BY line_no) - {nl} "
            f"FROM {TMP}recs"
        )
    else:
        sql = (
            f"SELECT rowid + 1, {fp.bom_bytes} + coalesce(sum(nbytes + {nl}) OVER (ORDER BY "
            "rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS s, s + nbytes "
            f"FROM {TMP}lines"
        )
    return con.execute(
        f"SELECT * FROM ({sql}) t(line_no, s, e) WHERE line_no IN (SELECT unnest(?::BIGINT[]))",
        [lines],
    ).fetchall()
