"""Readers: DuckDB's own CSV and JSON readers turn a landing file into a typed temporary relation
of good rows plus a temporary relation of rejected lines (no Python row loops), ready for
``manifest.commit_batch``."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.landing.contracts import Column, Contract
from dagster_project.lib.landing.errors import LandingContractError, ReconciliationError
from dagster_project.lib.landing.manifest import ParsedBatch
from dagster_project.lib.sql import ident as _ident
from dagster_project.lib.sql import literal as _lit
from dagster_project.lib.sql import scalar as _scalar

# A byte that never occurs in a valid JSON text (control characters must be escaped) nor in a
# sane CSV: reading with it as the delimiter and no quoting yields one value per physical line.
_LINE_DELIM = "\x1f"
_TMP = "_ldr_"  # prefix of the loader's temporary relations (dropped after every file)


@dataclass(frozen=True)
class FileFingerprint:
    """A file's identity (sha256, size) plus the layout facts the CSV line mapping needs."""

    sha256: str
    size_bytes: int
    physical_lines: int  # newline-terminated lines, plus an unterminated last line
    newline_bytes: int  # 1 (LF) or 2 (CRLF); 0 when line endings are mixed
    bom_bytes: int  # 3 when the file starts with a UTF-8 byte-order mark


def _base_type(duckdb_type: str) -> str:
    return duckdb_type.split("(")[0].strip().upper()


def fingerprint_file(path: Path, chunk_size: int = 1 << 20) -> FileFingerprint:
    """sha256 (streamed in chunks), size and line layout of a file, in one pass over its bytes.

    The line count is an independent check that DuckDB's line reader saw every physical line
    (the line numbers rely on it); newline width and BOM give each line's byte offset.
    """
    digest = hashlib.sha256()
    size = newlines = crlf = 0
    first = last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
            if not size:
                first = chunk[:3]
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            size += len(chunk)
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    lines = newlines + (1 if size and last != b"\n" else 0)
    newline_bytes = 2 if crlf and crlf == newlines else 1 if not crlf else 0
    bom = 3 if first == b"\xef\xbb\xbf" else 0
    return FileFingerprint(digest.hexdigest(), size, lines, newline_bytes, bom)


# ----------------------------------------------------------------------------------------- parse
def _read_lines(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, select: str, expected: int
) -> None:
    """Materialise one row per physical line (blank line = NULL) of a file, in file order.

    The temp table's rowid is the line's position (CTAS keeps insertion order), so ``rowid + 1``
    is the physical line number. ``strict_mode=false`` so a stray delimiter byte truncates the
    value instead of aborting the file. The count is checked against the newline count of the
    checksum pass (mixed CRLF/LF endings would shift line numbers: refuse rather than mislabel).
    """
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT {select} FROM read_csv(?, "
            "columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, "
            f"delim = {_lit(_LINE_DELIM)}, quote = '', escape = '', strict_mode = false)",
            [str(path)],
        )
    except duckdb.Error as exc:  # e.g. not UTF-8
        raise LandingContractError(f"{path}: DuckDB could not read the file: {exc}") from exc
    seen = int(_scalar(con, f"SELECT count(*) FROM {table}"))
    if seen != expected:
        raise LandingContractError(
            f"{path}: DuckDB read {seen} lines but the file has {expected} newline-terminated "
            "lines (mixed or bare-CR line endings?); convert the file to LF or CRLF endings"
        )


def _read_csv_header(path: Path, contract: Contract) -> list[str]:
    """The file's header names, trimmed; checks required columns and duplicates."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh, delimiter=",", quotechar='"', doublequote=True), None)
    except UnicodeDecodeError as exc:
        raise LandingContractError(f"{path}: the file is not UTF-8 encoded: {exc}") from exc
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
    missing = [c.name for c in contract.columns if c.required and c.name.lower() not in lowered]
    if missing:
        raise LandingContractError(
            f"{path}: required column(s) {', '.join(missing)} missing from the header of a "
            f"{contract.table} file (header: {', '.join(names)})"
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
    and packed into ``_extra``. Values that do not cast and lines with too many / too few fields
    go to the rejects (DuckDB ``store_rejects``) and the load goes on.

    ``_source_line`` and reject ``line`` are the physical line where the record starts (header =
    line 1), also when quoted values span lines: both come from a record table derived from the
    raw lines, not from DuckDB's reject line numbers (see the comments in the body).
    """
    header = _read_csv_header(path, contract)
    by_lower = {c.name.lower(): c for c in contract.columns}
    read_columns: dict[str, str] = {}
    extras: list[str] = []
    for name in header:
        col = by_lower.get(name.lower())
        if col is None:
            extras.append(name)
            read_columns[name] = "VARCHAR"
        else:
            read_columns[col.name] = col.type

    if fingerprint.newline_bytes == 0:
        raise LandingContractError(
            f"{path}: mixed CRLF and LF line endings; convert the file to one line ending"
        )
    # Raw physical lines, for counting records and placing them (see below).
    _read_lines(
        con,
        path,
        f"{_TMP}lines",
        "coalesce((strlen(line) - strlen(replace(line, '\"', ''))) % 2 = 1, false) AS odd, "
        "line IS NULL AS blank, coalesce(strlen(line), 0) AS nbytes, "
        "hash(left(line, 1000)) AS h",
        fingerprint.physical_lines,
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
    for name in ("rejects", "scans"):
        con.execute(f"DROP TABLE IF EXISTS {_TMP}csv_{name}")
    try:
        # Every column is projected: DuckDB only casts (and so only rejects) what it reads.
        con.execute(
            f"CREATE TEMP TABLE {_TMP}parsed AS SELECT {', '.join(select)} FROM read_csv(?, "
            "header = true, auto_detect = false, columns = ?, delim = ',', quote = '\"', "
            f"escape = '\"', store_rejects = true, rejects_table = '{_TMP}csv_rejects', "
            f"rejects_scan = '{_TMP}csv_scans')",
            [str(path), read_columns],
        )
    except duckdb.Error as exc:
        raise LandingContractError(f"{path}: DuckDB could not read the file: {exc}") from exc

    # rows_received, independently of the typed parse: rows are records, not lines, because a
    # quoted value may hold newlines. Under RFC 4180 (quotes only around fields, "" inside) a
    # line starts a record iff the quote characters before it are balanced, so a running sum of
    # per-line quote parity finds the records without a CSV tokenizer: one scan of the lines
    # and, only for files with quoted newlines, one window pass. Blank records are skipped, as
    # DuckDB does; the header is record 1. A stray quote inside an unquoted value breaks the
    # assumption and surfaces as a ReconciliationError, never as a silent miscount.
    multiline = bool(_scalar(con, f"SELECT bool_or(odd) FROM {_TMP}lines"))
    if multiline:
        con.execute(
            f"CREATE TEMP TABLE {_TMP}recs AS SELECT row_number() OVER (ORDER BY line_no) AS "
            "rec_no, line_no, blank, start_byte, h FROM (SELECT rowid + 1 AS line_no, blank, h, "
            f"{fingerprint.bom_bytes} + coalesce(sum(nbytes + {fingerprint.newline_bytes}) "
            "OVER w, 0) AS start_byte, coalesce(sum(odd::INT) OVER w, 0) % 2 = 0 AS starts "
            f"FROM {_TMP}lines WINDOW w AS (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING "
            "AND 1 PRECEDING)) WHERE starts"
        )
    else:  # every line is a record
        con.execute(
            f"CREATE TEMP VIEW {_TMP}recs AS SELECT rowid + 1 AS rec_no, rowid + 1 AS line_no, "
            f"blank, h FROM {_TMP}lines"
        )
    rows_received = int(
        _scalar(con, f"SELECT count(*) FROM {_TMP}recs WHERE rec_no > 1 AND NOT blank")
    )

    # DuckDB numbers reject lines by record (blank lines count, the header is 1). Without quoted
    # newlines that is the physical line. With them it is not even reliable (DuckDB 2.0), but
    # its line_byte_position lands within two bytes of the record start, so each reject is
    # mapped to the record starting at or before it (ASOF join on byte offsets). Either way the
    # mapping is verified by comparing the record's first line with the rejected text.
    has_rejects = bool(_scalar(con, f"SELECT count(*) > 0 FROM {_TMP}csv_rejects"))
    rejects: str | None = None
    if has_rejects:
        rejects = f"{_TMP}rejects"
        place = (
            f"ASOF LEFT JOIN (SELECT * FROM {_TMP}recs WHERE NOT blank) k "
            "ON r.line_byte_position + 2 >= k.start_byte"
            if multiline
            else f"LEFT JOIN {_TMP}recs k ON k.rec_no = r.line"
        )
        con.execute(
            f"CREATE TEMP TABLE {rejects} AS SELECT k.line_no AS line, r.column_name, "
            "r.error_type::VARCHAR AS error_type, r.error_message AS reason, "
            "r.raw AS raw_record, k.rec_no, r.line AS duckdb_line, k.h IS NOT DISTINCT FROM "
            "hash(left(rtrim(split_part(r.raw, chr(10), 1), chr(13)), 1000)) AS verified "
            "FROM (SELECT *, ltrim(csv_line, chr(13) || chr(10)) AS raw "
            f"FROM {_TMP}csv_rejects) r {place}"
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
    con.execute(
        f"CREATE TEMP TABLE {_TMP}keep AS SELECT line_no FROM {_TMP}recs k "
        "WHERE rec_no > 1 AND NOT blank"
        + (f" AND rec_no NOT IN (SELECT rec_no FROM {rejects})" if rejects else "")
        + " ORDER BY rec_no"
    )
    parsed = int(_scalar(con, f"SELECT count(*) FROM {_TMP}parsed"))
    kept = int(_scalar(con, f"SELECT count(*) FROM {_TMP}keep"))
    if parsed != kept:
        raise ReconciliationError(
            f"{path}: DuckDB parsed {parsed} good rows, but {rows_received} records minus the "
            f"rejected ones leave {kept}; quoting that is not RFC 4180 (a stray '\"' inside an "
            "unquoted value?) makes the records ambiguous; nothing committed"
        )
    # Both tables are in file order (rowid = position), so row i of the parse is record i of
    # the kept ones. Usually (no blank, multi-line or rejected records) that is line i + 2.
    if _scalar(con, f"SELECT count(*) FROM {_TMP}keep WHERE line_no <> rowid + 2"):
        source_line, join = "k.line_no", f" JOIN {_TMP}keep k ON k.rowid = p.rowid"
    else:
        source_line, join = "p.rowid + 2", ""
    con.execute(
        f"CREATE TEMP VIEW {_TMP}rows AS SELECT p.*, {source_line} AS _source_line "
        f"FROM {_TMP}parsed p{join}"
    )
    return ParsedBatch(
        source_uri=source_uri,
        sha256=fingerprint.sha256,
        size_bytes=fingerprint.size_bytes,
        rows_relation=f"{_TMP}rows",
        rejects_relation=rejects,
        rows_received=rows_received,
        extra_columns=extras,
    )


def parse_ndjson(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    source_uri: str,
    fingerprint: FileFingerprint,
) -> ParsedBatch:
    """Parse a newline-delimited JSON file into temp relations ``_ldr_rows`` and ``_ldr_rejects``.

    Each non-blank line is a record; ``_source_line`` is its physical line. Lines that are not a
    JSON object are rejected ('MALFORMED JSON'). Keys are case-sensitive: VARCHAR columns take the
    string value, JSON columns the raw JSON (JSON null becomes SQL NULL), other types a cast of
    the value; a present, non-null value that does not cast rejects the line ('CAST', one reject
    row per failing column). Unknown keys are kept in ``_extra``. A required key that appears in
    no valid record is a ``LandingContractError``; a key missing from some records is NULL there.
    ``rows_received`` is the number of non-blank physical lines, read without any JSON parsing.
    """
    _read_lines(con, path, f"{_TMP}lines", "line", fingerprint.physical_lines)
    paths = "[" + ", ".join(_lit(f"$.{json.dumps(c.name)}") for c in contract.columns) + "]"
    drop_known = _lit(json.dumps({c.name: None for c in contract.columns}))
    # A valid JSON text whose first non-blank character is '{' is an object; other lines are
    # swapped for '{}' before the JSON functions (cheaper than guarding each with CASE). ``v``
    # holds each contract key's raw JSON value (SQL NULL when the key is absent); ``_extra`` is
    # the object minus the contract keys (a JSON merge patch with nulls deletes them).
    con.execute(
        f"CREATE TEMP TABLE {_TMP}nd AS SELECT line_no, line, is_obj, "
        f"json_extract(obj, {paths}) AS v, "
        f"nullif(json_merge_patch(obj, {drop_known}), '{{}}') AS _extra "
        "FROM (SELECT *, CASE WHEN is_obj THEN line ELSE '{}' END AS obj "
        "FROM (SELECT rowid + 1 AS line_no, line, coalesce(json_valid(line) AND starts_with("
        "ltrim(line, chr(32) || chr(9) || chr(13)), '{'), false) AS is_obj "
        f"FROM {_TMP}lines WHERE NOT regexp_full_match(coalesce(line, ''), '\\s*')))"
    )
    con.execute(f"DROP TABLE {_TMP}lines")
    rows_received = int(_scalar(con, f"SELECT count(*) FROM {_TMP}nd"))

    presence = con.execute(
        "SELECT count(*), "
        + ", ".join(f"count(v[{i}])" for i in range(1, len(contract.columns) + 1))
        + f" FROM {_TMP}nd WHERE is_obj"
    ).fetchone()
    missing = [
        c.name for c, n in zip(contract.columns, presence[1:], strict=True) if c.required and n == 0
    ]
    if presence[0] and missing:
        raise LandingContractError(
            f"{path}: required key(s) {', '.join(missing)} appear in none of the "
            f"{presence[0]} JSON records of a {contract.table} file"
        )
    extras = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(_extra)) AS k FROM {_TMP}nd "
            "WHERE _extra IS NOT NULL ORDER BY k"
        ).fetchall()
    ]

    values: list[str] = []
    failed: list[tuple[Column, str, str]] = []  # (column, cast-failure condition, source text)
    for i, col in enumerate(contract.columns, start=1):
        text = f"(v[{i}] ->> '$')"
        base = _base_type(col.type)
        if base == "JSON":
            expr = f"CASE WHEN json_type(v[{i}]) = 'NULL' THEN NULL ELSE v[{i}] END"
        elif base == "VARCHAR":
            expr = text
        else:
            expr = f"TRY_CAST({text} AS {col.type})"
            failed.append((col, f"{text} IS NOT NULL AND {expr} IS NULL", text))
        values.append(f"{expr} AS {_ident(col.name)}")
    bad = " OR ".join(f"({cond})" for _, cond, _ in failed) or "false"
    con.execute(
        f"CREATE TEMP TABLE {_TMP}typed AS SELECT line_no, is_obj, {', '.join(values)}, _extra, "
        f"coalesce({bad}, false) AS _bad FROM {_TMP}nd"
    )
    # Rejects: whole lines that are no JSON object, and one row per value that does not cast
    # (worked out again only for the few failing lines).
    casts = ", ".join(
        f"CASE WHEN {cond} THEN {{'c': {_lit(col.name)}, 'r': 'could not convert ' || "
        f"to_json({text}) || {_lit(' to ' + col.type)}}} END"
        for col, cond, text in failed
    )
    cast_rejects = (
        f" UNION ALL SELECT line_no, e.c, 'CAST', e.r, line FROM (SELECT n.line_no, n.line, "
        f"unnest(list_filter([{casts}], lambda e: e IS NOT NULL)) AS e FROM {_TMP}nd n "
        f"JOIN {_TMP}typed t USING (line_no) WHERE t._bad)"
        if failed
        else ""
    )
    con.execute(
        f"CREATE TEMP TABLE {_TMP}rejects AS "
        "SELECT line_no AS line, NULL::VARCHAR AS column_name, 'MALFORMED JSON' AS error_type, "
        "CASE WHEN json_valid(line) THEN 'line is a JSON ' || lower(json_type(line)) || "
        "', not an object' ELSE 'line is not valid JSON' END AS reason, line AS raw_record "
        f"FROM {_TMP}nd WHERE NOT is_obj" + cast_rejects
    )
    con.execute(f"DROP TABLE {_TMP}nd")
    cols = ", ".join(_ident(c.name) for c in contract.columns)
    con.execute(
        f"CREATE TEMP VIEW {_TMP}rows AS SELECT {cols}, _extra, line_no AS _source_line "
        f"FROM {_TMP}typed WHERE is_obj AND NOT _bad"
    )
    return ParsedBatch(
        source_uri=source_uri,
        sha256=fingerprint.sha256,
        size_bytes=fingerprint.size_bytes,
        rows_relation=f"{_TMP}rows",
        rejects_relation=f"{_TMP}rejects",
        rows_received=rows_received,
        extra_columns=extras,
    )


def parse_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    source_uri: str,
    fingerprint: FileFingerprint | None = None,
) -> ParsedBatch:
    """Parse a landing file into temporary relations according to its contract's format."""
    fingerprint = fingerprint or fingerprint_file(path)
    parse = {"csv": parse_csv, "ndjson": parse_ndjson}.get(contract.format)
    if parse is None:
        raise LandingContractError(f"{path}: unsupported format {contract.format!r}")
    return parse(con, contract, path, source_uri, fingerprint)


def drop_temp_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the loader's temporary relations (they hold a whole parsed file)."""
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, ?)", [_TMP]
    ).fetchall()
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?)",
        [_TMP],
    ).fetchall()
    for kind, names in (("VIEW", views), ("TABLE", tables)):
        for (name,) in names:
            con.execute(f"DROP {kind} IF EXISTS temp.main.{_ident(name)}")
