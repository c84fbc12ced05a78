"""A guard that the dbt project's SQL runs on DuckDB and on Spark alike.

Engine-specific SQL belongs only in dispatched macros (``duckdb__<name>``, ``spark__<name>``);
everything else must be portable. Some DuckDB constructs fail on Spark, some run there and give
other values (a double-quoted "Id" is the string 'Id' on Spark), so they are flagged wherever
they appear outside those macros. Jinja, SQL comments and string literals are blanked first,
keeping offsets, so line and column point at the original file.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from dagster_project.lib.paths import REPO_ROOT

SCANNED_DIRS = ("dbt/models", "dbt/macros", "dbt/tests", "dbt/analyses")


class Construct(NamedTuple):
    name: str
    pattern: str
    advice: str


# fmt: off
# one entry a construct: what to match (case-insensitive), why it is not portable, what instead
CONSTRUCTS: tuple[Construct, ...] = (
    Construct("exclude", r"\bexclude\s*\(",
              "Spark has no `* exclude (...)`: write `* except (...)`"),
    Construct("quoted identifier", r'"[^"]*"',
              "Spark reads a double-quoted token as a string literal: write the name unquoted"),
    Construct("varchar", r"\bvarchar\b",
              "not a Spark type: use `string` or {{ dbt.type_string() }}"),
    Construct("arg_min/arg_max", r"\b(?:arg_min|arg_max|argmin|argmax)\s*\(",
              "Spark lacks them, and min_by/max_by keep null values there: use a dispatched macro"),
    Construct("string_agg", r"\b(?:string_agg|group_concat)\s*\(",
              "no ordered equivalent on Spark: use a dispatched macro"),
    Construct("two-argument trim", r"\b[lr]?trim\s*\(",
              "argument order is reversed on Spark: write trim(leading|trailing|both 'x' from s)"),
    Construct("json_extract", r"\bjson_extract\w*\s*\(",
              "DuckDB-only JSON: use a dispatched macro (get_json_object on Spark)"),
    Construct("->>", r"->>",
              "DuckDB-only JSON operator: use a dispatched macro (get_json_object on Spark)"),
    Construct("epoch", r"\bepoch(?:_ms|_us|_ns)?\s*\(",
              "DuckDB-only: use a dispatched macro (unix_seconds/unix_micros on Spark)"),
    Construct("strptime", r"\bstrptime\s*\(",
              "DuckDB-only format codes: use a dispatched macro (to_timestamp on Spark)"),
    Construct("make_timestamp", r"\bmake_timestamp\s*\(",
              "DuckDB's microseconds form is not Spark's: use a dispatched macro"),
    Construct("timezone", r"\btimezone\s*\(",
              "DuckDB-only: use a dispatched macro (to_utc_timestamp on Spark)"),
    Construct("date_diff", r"\bdate_diff\s*\(",
              "DuckDB's (part, start, end) is Spark's (end, start): use {{ dbt.datediff() }}"),
    Construct("unnest", r"\bunnest\s*\(",
              "DuckDB-only: use a dispatched macro (explode on Spark)"),
    Construct("union by name", r"\bunion\s+(?:all\s+)?by\s+name\b",
              "DuckDB-only: list the same columns in the same order on both sides"),
    Construct("as materialized", r"\bas\s+(?:not\s+)?materialized\s*\(",
              "DuckDB-only CTE hint that Spark cannot parse: drop it"),
)
# fmt: on
_RULES = [(c, re.compile(c.pattern, re.IGNORECASE)) for c in CONSTRUCTS]
_TRIM = "two-argument trim"
_QUOTED = next(c for c in CONSTRUCTS if c.name == "quoted identifier")


@dataclass(frozen=True)
class Violation:
    file: str  # relative to the repository, with forward slashes
    line: int
    column: int
    construct: str
    text: str
    advice: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.construct}: {self.advice}"


_JINJA_OPEN = re.compile(r"\{[{%#]")
_JINJA_TOKEN = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\}\}|%\}""", re.DOTALL)
_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)")
_ENDMACRO = re.compile(r"\{%-?\s*endmacro\b")
_SQL_TOKEN = re.compile(r"--[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^']|'')*'?|\"[^\"]*\"?", re.DOTALL)
_IDENT_IN_STRING = re.compile(r'"[A-Za-z_][\w $]*"')


def _jinja_tags(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every Jinja tag; strings inside a tag may hold its closer."""
    tags, pos = [], 0
    while m := _JINJA_OPEN.search(text, pos):
        kind, end = text[m.start() + 1], len(text)
        if kind == "#":
            close = text.find("#}", m.end())
            end = end if close < 0 else close + 2
        else:
            closer = "}}" if kind == "{" else "%}"
            for token in _JINJA_TOKEN.finditer(text, m.end()):
                if token.group() == closer:
                    end = token.end()
                    break
        tags.append((m.start(), end, kind))
        pos = end
    return tags


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _top_level_comma(text: str, open_paren: int) -> bool:
    depth = 0
    for ch in text[open_paren:]:
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return False
        if ch == "," and depth == 1:
            return True
    return False


def scan_text(text: str, file: str) -> list[Violation]:
    """Every non-portable construct in one dbt SQL file's text."""
    chars, found = list(text), []  # found: (offset, construct, text)
    skip_start, skip_depth = 0, 0  # inside a duckdb__/spark__ macro: from its tag to endmacro
    for start, end, kind in _jinja_tags(text):
        tag = text[start:end]
        _blank(chars, start, end)
        if skip_depth:
            skip_depth += bool(_MACRO.match(tag)) - bool(_ENDMACRO.match(tag))
            if not skip_depth:
                _blank(chars, skip_start, end)
            continue
        macro = _MACRO.match(tag)
        if macro and macro.group(1).startswith(("duckdb__", "spark__")):
            skip_start, skip_depth = start, 1
        elif kind != "#":  # a quoted identifier passed as a Jinja string ends up in the SQL
            for token in _JINJA_TOKEN.finditer(tag, 2):
                if token.group().startswith("'"):
                    for ident in _IDENT_IN_STRING.finditer(token.group()):
                        offset = start + token.start() + ident.start()
                        found.append((offset, _QUOTED, ident.group()))
    if skip_depth:  # an unclosed engine macro runs to the end of the file
        _blank(chars, skip_start, len(chars))
    sql = "".join(chars)
    for token in _SQL_TOKEN.finditer(sql):
        if token.group()[0] == "'":  # keep the quotes, blank the value
            closed = len(token.group()) > 1 and token.group().endswith("'")
            _blank(chars, token.start() + 1, token.end() - closed)
        elif token.group()[0] != '"':
            _blank(chars, token.start(), token.end())
    sql = "".join(chars)
    for construct, rule in _RULES:
        for m in rule.finditer(sql):
            if construct.name != _TRIM or _top_level_comma(sql, m.end() - 1):
                found.append((m.start(), construct, text[m.start() : m.end()]))
    violations = []
    for offset, construct, snippet in sorted(found, key=lambda f: f[0]):
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        violations.append(Violation(file, line, column, construct.name, snippet, construct.advice))
    return violations


def find_violations(root: Path) -> list[Violation]:
    """Every non-portable construct in the dbt project's SQL under ``root`` (the repository)."""
    violations = []
    for folder in SCANNED_DIRS:
        for path in sorted((root / folder).rglob("*.sql")):
            relative = path.relative_to(root).as_posix()
            violations += scan_text(path.read_text(encoding="utf-8"), relative)
    return violations


def main(argv: list[str] | None = None) -> int:
    """``python -m dagster_project.lib.sql_portability [root]``: one line a violation, exit 1."""
    args = sys.argv[1:] if argv is None else argv
    violations = find_violations(Path(args[0]) if args else REPO_ROOT)
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
