"""The NDJSON reader: one JSON object per physical line, read as lines by DuckDB and taken apart
with DuckDB's JSON functions (no Python row loop)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dagster_project.lib.landing.contracts import Column, Contract
from dagster_project.lib.landing.errors import LandingContractError
from dagster_project.lib.landing.fingerprint import FileFingerprint, open_text
from dagster_project.lib.landing.manifest import ParsedBatch
from dagster_project.lib.landing.read_common import (
    MAX_RECORD_BYTES,
    TMP,
    base_type,
    empty_batch,
    finish_batch,
    integer_cast,
    json_path,
    read_lines,
)
from dagster_project.lib.sql import ident as _ident
from dagster_project.lib.sql import literal as _lit
from dagster_project.lib.sql import scalar as _scalar

_BLANK = "regexp_full_match(coalesce(line, ''), '\\s*')"


def parse_ndjson(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    source_uri: str,
    fingerprint: FileFingerprint,
) -> ParsedBatch:
    """Parse a newline-delimited JSON file into temp relations ``_ldr_rows`` and ``_ldr_rejects``.

    Each non-blank line is a record; ``_source_line`` is its physical line. Lines that are not a
    JSON object are rejected ('MALFORMED JSON'; 'TRUNCATED' for a broken last line the file
    ends in without a newline), and so are lines over ``MAX_RECORD_BYTES``. Keys are
    case-sensitive: VARCHAR columns take the string value (an expandable reference given as
    the expanded object takes its "id"), JSON columns the raw JSON (JSON null becomes SQL
    NULL), other types a cast of the value (integers: whole numbers only); a present, non-null
    value that does not cast rejects the line ('CAST', one reject row per failing column). A
    column with alternative ``paths`` takes the first of its key and paths that is present and
    not null. Unknown keys are kept in ``_extra``. A required key that appears in no valid
    record is a ``LandingContractError``; a key missing from some records is NULL there.
    ``rows_received`` is the number of non-blank physical lines, read without any JSON parsing.
    A file that is one JSON document (an array, a pretty-printed object, an API list page) is
    refused with a message naming what it is; an empty file loads nothing.
    """
    fp = fingerprint
    if fp.content_bytes <= fp.bom_bytes:
        return empty_batch(con, contract, source_uri, fp)
    read_lines(con, path, fp, f"{TMP}lines", "line")
    _refuse_documents(con, contract, path)
    # every contract key, then the alternative paths; slot i of ``v`` holds path i's raw JSON
    paths: list[str] = []
    slots: dict[str, list[int]] = {}
    for col in contract.columns:
        slots[col.name] = []
        for p in (json_path(col.name), *col.paths):
            paths.append(p)
            slots[col.name].append(len(paths))
    drop_known = _lit(json.dumps({c.name: None for c in contract.columns}))
    # A valid JSON text whose first non-blank character is '{' is an object; other lines (and
    # lines over the size limit) are swapped for '{}' before the JSON functions (cheaper than
    # guarding each with CASE). ``_extra`` is the object minus the contract keys (a JSON merge
    # patch with nulls deletes them).
    con.execute(
        f"CREATE TEMP TABLE {TMP}nd AS SELECT line_no, line, too_long, is_obj, "
        f"json_extract(obj, [{', '.join(_lit(p) for p in paths)}]) AS v, "
        f"nullif(json_merge_patch(obj, {drop_known}), '{{}}') AS _extra "
        "FROM (SELECT *, CASE WHEN is_obj THEN line ELSE '{}' END AS obj "
        f"FROM (SELECT line_no, line, strlen(line) > {MAX_RECORD_BYTES} AS too_long, "
        f"strlen(line) <= {MAX_RECORD_BYTES} AND coalesce(json_valid(line) AND starts_with("
        "ltrim(line, chr(32) || chr(9) || chr(13)), '{'), false) AS is_obj "
        f"FROM (SELECT rowid + 1 AS line_no, line FROM {TMP}lines) WHERE NOT {_BLANK}))"
    )
    con.execute(f"DROP TABLE {TMP}lines")
    rows_received = int(_scalar(con, f"SELECT count(*) FROM {TMP}nd"))
    if not rows_received:
        return empty_batch(con, contract, source_uri, fp)

    present = {  # (a key given as JSON null is present)
        c.name: "coalesce(" + ", ".join(f"v[{i}]" for i in slots[c.name]) + ")"
        for c in contract.columns
    }
    presence = con.execute(
        "SELECT count(*), "
        + ", ".join(f"count({present[c.name]})" for c in contract.columns)
        + f" FROM {TMP}nd WHERE is_obj"
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
            f"SELECT DISTINCT unnest(json_keys(_extra)) AS k FROM {TMP}nd "
            "WHERE _extra IS NOT NULL ORDER BY k"
        ).fetchall()
    ]

    values: list[str] = []
    failed: list[tuple[Column, str, str]] = []  # (column, failure condition, reason)
    for col in contract.columns:
        expr, fails = _typed(col, slots[col.name])
        values.append(f"{expr} AS {_ident(col.name)}")
        failed.extend((col, cond, reason) for cond, reason in fails)
    bad = " OR ".join(f"({cond})" for _, cond, _ in failed) or "false"
    con.execute(
        f"CREATE TEMP TABLE {TMP}typed AS SELECT line_no, is_obj, {', '.join(values)}, _extra, "
        f"coalesce({bad}, false) AS _bad FROM {TMP}nd"
    )
    # Rejects: whole lines that are no JSON object (or too long), and one row per value that
    # does not cast (worked out again only for the few failing lines).
    casts = ", ".join(
        f"CASE WHEN {cond} THEN {{'c': {_lit(col.name)}, 'r': {reason}}} END"
        for col, cond, reason in failed
    )
    cast_rejects = (
        f" UNION ALL SELECT line_no, e.c, 'CAST', e.r, line FROM (SELECT n.line_no, n.line, "
        f"unnest(list_filter([{casts}], lambda e: e IS NOT NULL)) AS e FROM {TMP}nd n "
        f"JOIN {TMP}typed t USING (line_no) WHERE t._bad)"
        if failed
        else ""
    )
    # a broken last line in a file without a final newline: the transfer stopped there
    cut = None
    if not fp.ends_with_newline:
        cut = _scalar(
            con,
            f"SELECT line_no FROM {TMP}nd WHERE NOT is_obj AND NOT too_long AND line_no = "
            f"(SELECT max(line_no) FROM {TMP}nd)",
        )
    truncated = f"line_no = {int(cut)}" if cut is not None else "false"
    con.execute(
        f"CREATE TEMP TABLE {TMP}rejects AS SELECT line_no AS line, CASE WHEN {truncated} THEN "
        'regexp_extract_all(line, \'"([^"\\\\]+)"\\s*:\', 1)[-1] END AS column_name, CASE '
        f"WHEN {truncated} THEN 'TRUNCATED' WHEN too_long THEN 'LINE SIZE OVER MAXIMUM' "
        "ELSE 'MALFORMED JSON' END AS error_type, CASE "
        f"WHEN {truncated} THEN 'the file ends without a final newline inside this record (not"
        " valid JSON): it looks truncated, the rows after the cut are missing' "
        "WHEN too_long THEN 'record of ' || strlen(line) || "
        f"' bytes, over the maximum of {MAX_RECORD_BYTES} bytes' "
        "WHEN json_valid(line) THEN 'line is a JSON ' || lower(json_type(line)) || "
        "', not an object' ELSE 'line is not valid JSON' END AS reason, line AS raw_record "
        f"FROM {TMP}nd WHERE NOT is_obj" + cast_rejects
    )
    cols = {c.name: _ident(c.name) for c in contract.columns}
    con.execute(
        f"CREATE TEMP VIEW {TMP}cand AS SELECT {', '.join(cols.values())}, _extra, "
        f"line_no AS _source_line FROM {TMP}typed WHERE is_obj AND NOT _bad"
    )
    # escaped control characters (raw ones make the line invalid JSON already)
    control = bool(
        _scalar(
            con,
            f"SELECT count(*) FROM {TMP}nd WHERE is_obj AND (contains(line, '\\u00') OR "
            "contains(lower(line), '\\u007f'))",
        )
    )
    return finish_batch(
        con,
        contract,
        candidates=f"{TMP}cand",
        columns=cols,
        rejects=f"{TMP}rejects",
        extra_rejects=[],
        control=control,
        raw=f"(SELECT line_no AS line, line AS raw_record FROM {TMP}nd)",
        source_uri=source_uri,
        fp=fp,
        rows_received=rows_received,
        extras=extras,
    )


def _text(slots: list[int]) -> str:
    """A column's value as text: the first of its paths present and not JSON null."""
    parts = [f"(v[{i}] ->> '$')" for i in slots]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _json(slots: list[int]) -> str:
    """A column's raw JSON value (JSON null as SQL NULL), from the first path that has one."""
    parts = [f"CASE WHEN v[{i}]::VARCHAR = 'null' THEN NULL ELSE v[{i}] END" for i in slots]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _typed(col: Column, slots: list[int]) -> tuple[str, list[tuple[str, str]]]:
    """The typed value of a column from its paths, and its failure conditions with reasons."""
    text = _text(slots)
    kind = base_type(col.type)
    if kind == "JSON":
        return _json(slots), []
    if kind == "VARCHAR":
        if not col.expandable:
            return text, []
        raw = _json(slots)
        expanded = f"starts_with({raw}::VARCHAR, '{{')"  # (json_extract writes it minified)
        value = f"CASE WHEN {expanded} THEN {raw} ->> '$.id' ELSE {text} END"
        missing_id = f"({expanded} AND ({raw} ->> '$.id') IS NULL)"
        reason = f"'an expanded object without an \"id\": ' || left({raw}::VARCHAR, 200)"
        return value, [(missing_id, reason)]
    if col.is_integer:
        value, fails, reason = integer_cast(text, col.type)
        return value, [(fails, reason)]
    value = f"TRY_CAST({text} AS {col.type})"
    cannot = f"'could not convert ' || to_json({text}) || {_lit(' to ' + col.type)}"
    return value, [(f"({text} IS NOT NULL AND {value} IS NULL)", cannot)]


def _first_line(path: Path) -> tuple[int, str] | None:
    """The first non-blank line (number, trimmed text), read directly from the file."""
    with open_text(path) as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                return n, line.strip()
    return None


def _refuse_documents(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path) -> None:
    """Refuse a file that is one JSON document rather than one object per line: a JSON array, a
    pretty-printed document, or an API list page (``{"data": [...], "paging": ...}`` from the
    Graph API, ``{"object": "list", "data": [...]}`` from Stripe). Loading its lines one by one
    would count and reject fragments; a page also says nothing of the pages after it. Only the
    first line is read (and the last, when the first opens a document)."""
    try:
        first = _first_line(path)
    except UnicodeDecodeError:
        return  # (the line reader names the file that is not UTF-8)
    if first is None:
        return
    n, text = first
    valid, kind = con.execute(
        "SELECT json_valid(?), CASE WHEN json_valid(?) THEN json_type(?::JSON) END", [text] * 3
    ).fetchone()
    if valid and kind == "ARRAY":
        count = _scalar(con, "SELECT json_array_length(?::JSON)", [text])
        raise LandingContractError(
            f"{path}: line {n} is a JSON array of {count} elements, not NDJSON (one JSON object "
            f"per line) as {contract.table} files are: write one record per line "
            "(e.g. jq -c '.[]')"
        )
    if not valid and text[:1] in "{[":
        last = con.execute(
            f"SELECT rowid + 1, trim(line) FROM {TMP}lines WHERE rowid = (SELECT max(rowid) "
            f"FROM {TMP}lines WHERE NOT {_BLANK})"
        ).fetchone()
        if last and last[1] in ("}", "]", "},", "],"):
            what = "array" if text[:1] == "[" else "object"
            raise LandingContractError(
                f"{path}: the file is one pretty-printed JSON {what} over lines {n}-{last[0]} "
                f"(line {n}: {text[:40]!r}), not NDJSON (one JSON object per line) as "
                f"{contract.table} files are: write one record per line (e.g. jq -c)"
            )
    if valid and kind == "OBJECT" and "data" not in contract.column_names:
        page = con.execute(
            "SELECT json_type(j -> '$.data') = 'ARRAY' AND (j ->> '$.object' = 'list' OR "
            "json_exists(j, '$.paging') OR json_exists(j, '$.has_more')), "
            "json_array_length(j -> '$.data'), j ->> '$.object' = 'list' "
            "FROM (SELECT ?::JSON AS j)",
            [text],
        ).fetchone()
        if page and page[0]:
            shape = (
                '{"object": "list", "data": [...], "has_more": ...} (Stripe)'
                if page[2]
                else '{"data": [...], "paging": ...} (Graph API)'
            )
            raise LandingContractError(
                f"{path}: line {n} is an API list page {shape} holding {page[1]} records, not "
                f"one {contract.table} record per line: write the page's data records one per "
                "line (NDJSON); a page alone does not say whether more pages follow"
            )
