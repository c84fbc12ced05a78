"""What the CSV and NDJSON readers share: the physical-line read, the checks every format applies
after its typed parse (whole numbers in integer columns, no control characters, the contract's
row rules), the raw text of a few records, and the empty batch."""

from __future__ import annotations

import json
from bisect import bisect_left
from pathlib import Path

import duckdb

from dagster_project.lib.landing.contracts import Contract
from dagster_project.lib.landing.errors import LandingContractError
from dagster_project.lib.landing.fingerprint import (
    CONTROL_REGEX,
    FileFingerprint,
    open_content,
)
from dagster_project.lib.landing.manifest import ParsedBatch
from dagster_project.lib.sql import ident as _ident
from dagster_project.lib.sql import literal as _lit
from dagster_project.lib.sql import scalar as _scalar

# Four bytes that never occur in a JSON text (control characters must be escaped) nor in a sane
# CSV: reading with them as the delimiter and no quoting yields one value per physical line.
LINE_DELIM = "chr(0) || chr(31) || chr(0) || chr(30)"
TMP = "_ldr_"  # prefix of the loader's temporary relations (dropped after every file)
# The longest record the loader takes (DuckDB's default maximum CSV line): a longer CSV line or
# NDJSON record is rejected with its size, the rest of the file loads.
MAX_RECORD_BYTES = 2_000_000
_LONG_LINE_RETRIES = (16 << 20, 128 << 20)
# Whole numbers only: DuckDB would round "141.50" to 142 and read "1e3" as 1000.
INTEGER_TEXT = r"\s*[+-]?[0-9]+\s*"
# A JSON text escaping a control character other than \t \n \r (\u0000 breaks PostgreSQL jsonb).
ESCAPED_CONTROL = r"(?i)(?:^|[^\\])(?:\\\\)*\\u00(?:0[0-8bcef]|1[0-9a-f])|\\u007f"


def base_type(duckdb_type: str) -> str:
    return duckdb_type.split("(")[0].strip().upper()


# ------------------------------------------------------------------------------------ lines
def read_lines(
    con: duckdb.DuckDBPyConnection, path: Path, fp: FileFingerprint, table: str, select: str
) -> None:
    """Materialise one row per physical line (blank line = NULL, column ``line``) of a file, in
    file order, through ``select`` (an expression list over ``line``).

    The temp table's rowid is the line's position (CTAS keeps insertion order), so ``rowid + 1``
    is the physical line number. Lines end at LF; a CR before it is not part of the line (so a
    file may mix CRLF and LF, e.g. CRLF inside quoted values). ``strict_mode=false`` so a stray
    delimiter sequence truncates the value instead of aborting the file. A line longer than
    DuckDB's default maximum is read with a larger one (the readers reject it afterwards). The
    count is checked against the newline count of the checksum pass.
    """
    limits = [None, *_LONG_LINE_RETRIES, max(fp.content_bytes + 2, 1 << 20)]
    # CRLF inside LF lines: make CRLF one line end (not CR + LF); DuckDB's parallel reader may
    # then need to read the file on one thread
    options = ", new_line = '\\r\\n'" if fp.crlf_offsets else ""
    while True:
        limit = limits[0]
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select} FROM read_csv(?, "
                "columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, "
                f"delim = {LINE_DELIM}, quote = '', escape = '', strict_mode = false{options}"
                + (f", max_line_size = {limit}" if limit else "")
                + ")",
                [str(path)],
            )
            break
        except duckdb.Error as exc:
            if "Maximum line size" in str(exc) and len(limits) > 1:
                limits.pop(0)
                continue
            if "parallel = false" in str(exc) and "parallel" not in options:
                options += ", parallel = false"
                continue
            detail = str(exc).split("\n", 1)[0][:300]
            raise LandingContractError(f"{path}: DuckDB could not read the file: {detail}") from exc
    seen = int(_scalar(con, f"SELECT count(*) FROM {table}"))
    if seen != fp.physical_lines:
        raise LandingContractError(
            f"{path}: DuckDB read {seen} lines but the file has {fp.physical_lines} "
            "newline-terminated lines; convert the file to LF or CRLF endings"
        )


def record_text(path: Path, fp: FileFingerprint, spans: list[tuple]) -> list[tuple[int, str]]:
    """``(key, text)`` of a few records given ``(key, start, end)`` byte offsets of the
    (decompressed) content, counted with ``fp.newline_bytes`` per line ending (``end`` None: to
    the end of the file); for a file that mixes LF and CRLF, the CRs are added back. For the
    handful of records a post-parse check rejects: the raw record, as the file holds it."""
    shift = [p - j for j, p in enumerate(fp.crlf_offsets)] if fp.crlf_offsets else None
    out = []
    with open_content(path) as fh:
        for key, start, end in sorted(spans, key=lambda s: s[1]):
            if shift is not None:  # CR offsets in LF coordinates: add back those before
                start += bisect_left(shift, start)
                end = None if end is None else end + bisect_left(shift, end)
            fh.seek(start)
            data = fh.read() if end is None else fh.read(max(end - start, 0))
            out.append((key, data.decode("utf-8", errors="replace").rstrip("\r\n")))
    return out


# ------------------------------------------------------------------------- after the parse
def integer_cast(text: str, type_: str) -> tuple[str, str, str]:
    """``(value, failed, reason)`` SQL for a strict integer read of ``text``: a fraction or an
    exponent is a reject, never rounded (``141.00`` micros is not 141 micros)."""
    whole = f"regexp_full_match({text}, {_lit(INTEGER_TEXT)})"
    value = f"CASE WHEN {whole} THEN TRY_CAST({text} AS {type_}) END"
    failed = f"({text} IS NOT NULL AND {value} IS NULL)"
    reason = (
        f"'could not convert ' || to_json({text}) || {_lit(' to ' + type_)} || CASE WHEN "
        f"regexp_matches({text}, '^\\s*[+-]?[0-9]*[.eE]') THEN "
        "': an integer column takes whole numbers only (a fraction or exponent is rejected, "
        "never rounded)' ELSE '' END"
    )
    return value, failed, reason


def finish_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    *,
    candidates: str,
    columns: dict[str, str],
    rejects: str | None,
    extra_rejects: list[str],
    control: bool,
    raw: str | None,
    raw_fetch=None,
    source_uri: str,
    fp: FileFingerprint,
    rows_received: int,
    extras: list[str],
) -> ParsedBatch:
    """The checks every format applies to its typed rows, then the batch.

    ``candidates`` holds the rows the typed parse accepted (``_source_line``, ``_extra`` and
    the contract columns, some still text); ``columns`` maps each contract column to its final
    SQL expression over ``candidates``. A candidate row is rejected (one reject row per failing
    column) when an integer column holds no whole number (``extra_rejects`` carry such
    conditions from the format reader: SELECTs of line, column_name, error_type, reason), a
    text value holds a control character (``control``: the file may hold one), or the row
    breaks one of the contract's ``row_checks``. Raw records of these rejects come from
    ``raw`` (a relation of line, raw_record) or ``raw_fetch(lines) -> [(line, text)]``.
    """
    checks = list(extra_rejects)
    if control:
        for col in contract.columns:
            kind = base_type(col.type)
            if kind == "VARCHAR":
                cond, what = f"regexp_matches({columns[col.name]}, {_lit(CONTROL_REGEX)})", "holds"
            elif kind == "JSON":
                cond = f"regexp_matches({columns[col.name]}::VARCHAR, {_lit(ESCAPED_CONTROL)})"
                what = "escapes"
            else:
                continue
            checks.append(_control_reject(candidates, col.name, cond, what))
        checks.append(
            _control_reject(
                candidates,
                None,
                f"regexp_matches(_extra::VARCHAR, {_lit(ESCAPED_CONTROL)})",
                "holds (in a column the contract does not know)",
            )
        )
    for check in contract.row_checks:
        typed = {name: f"({expr})" for name, expr in columns.items()}
        condition, reason = check.condition, check.reason
        for name, expr in typed.items():  # the rule is written over the typed columns
            condition = condition.replace(_ident(name), expr)
            reason = reason.replace(_ident(name), expr)
        checks.append(
            f"SELECT _source_line AS line, {_lit(check.column)} AS column_name, "
            f"'ROW RULE' AS error_type, {reason} AS reason FROM {candidates} "
            f"WHERE NOT coalesce({condition}, true)"
        )
    post = None
    if checks:
        post = f"{TMP}post"
        con.execute(f"CREATE TEMP TABLE {post} AS " + " UNION ALL ".join(checks))
        if not _scalar(con, f"SELECT count(*) FROM {post}"):
            post = None
    select = ", ".join(f"{expr} AS {_ident(name)}" for name, expr in columns.items())
    con.execute(
        f"CREATE TEMP VIEW {TMP}rows AS SELECT {select}, _extra, _source_line FROM {candidates}"
        + (f" WHERE _source_line NOT IN (SELECT line FROM {post})" if post else "")
    )
    if post:
        if raw is None:
            lines = [r[0] for r in con.execute(f"SELECT DISTINCT line FROM {post}").fetchall()]
            con.execute(f"CREATE TEMP TABLE {TMP}raw (line BIGINT, raw_record VARCHAR)")
            fetched = raw_fetch(lines) if raw_fetch else []
            if fetched:
                con.executemany(f"INSERT INTO {TMP}raw VALUES (?, ?)", fetched)
            raw = f"{TMP}raw"
        post_rows = (
            f"SELECT p.line, p.column_name, p.error_type, p.reason, r.raw_record FROM {post} p "
            f"LEFT JOIN {raw} r ON r.line = p.line"
        )
        union = (
            f"SELECT line, column_name, error_type, reason, raw_record FROM {rejects} UNION ALL "
            if rejects
            else ""
        )
        con.execute(f"CREATE TEMP TABLE {TMP}all_rejects AS {union}{post_rows}")
        rejects = f"{TMP}all_rejects"
    return ParsedBatch(
        source_uri=source_uri,
        sha256=fp.sha256,
        size_bytes=fp.size_bytes,
        rows_relation=f"{TMP}rows",
        rejects_relation=rejects,
        rows_received=rows_received,
        extra_columns=extras,
        content_sha256=fp.content_sha256,
    )


def _control_reject(candidates: str, column: str | None, cond: str, what: str) -> str:
    name = column or "_extra"
    return (
        f"SELECT _source_line AS line, {_lit(column) if column else 'NULL'} AS column_name, "
        f"'CONTROL CHARACTER' AS error_type, {_lit(name + ' ' + what)} || ' a control "
        "character other than tab, LF or CR (e.g. NUL): PostgreSQL cannot store it' AS reason "
        f"FROM {candidates} WHERE coalesce({cond}, false)"
    )


def empty_batch(
    con: duckdb.DuckDBPyConnection, contract: Contract, source_uri: str, fp: FileFingerprint
) -> ParsedBatch:
    """An empty file (or a CSV with only its header): zero rows, recorded like any other."""
    cols = ", ".join(f"NULL::{c.type} AS {_ident(c.name)}" for c in contract.columns)
    con.execute(
        f"CREATE TEMP VIEW {TMP}rows AS SELECT {cols}, NULL::JSON AS _extra, "
        "NULL::BIGINT AS _source_line WHERE false"
    )
    return ParsedBatch(
        source_uri=source_uri,
        sha256=fp.sha256,
        size_bytes=fp.size_bytes,
        rows_relation=f"{TMP}rows",
        rejects_relation=None,
        rows_received=0,
        content_sha256=fp.content_sha256,
    )


def json_path(key: str) -> str:
    return f"$.{json.dumps(key)}"
