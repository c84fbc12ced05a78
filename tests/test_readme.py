"""The SQL in README.md runs against a real warehouse: the analysts' guide must stay true.

Every ```sql block of the README is executed statement by statement on the session warehouse
(read-only). Statements of the analysts' guide (the section whose title starts with "Analysts'
guide") must also return at least one row on the sample data.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
GUIDE_TITLE = "## Analysts' guide"


def sql_blocks(text: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def statements(block: str) -> list[str]:
    """Split a block on semicolons at line ends (the README never puts ';' inside strings)."""
    parts = re.split(r";\s*(?:--[^\n]*)?\n", block + "\n")
    return [p.strip() for p in parts if _code(p)]


def _code(statement: str) -> str:
    lines = (line.strip() for line in statement.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("--"))


def guide_section(text: str) -> str:
    start = text.index(GUIDE_TITLE)
    rest = text[start + len(GUIDE_TITLE) :]
    end = rest.find("\n## ")
    return rest if end < 0 else rest[:end]


def test_readme_has_an_analysts_guide_with_five_questions():
    guide = guide_section(README.read_text())
    questions = re.findall(r"^### \d\. ", guide, flags=re.M)
    assert len(questions) >= 5, "the analysts' guide answers five business questions"
    assert len(statements("\n".join(sql_blocks(guide)))) >= 5


@pytest.mark.parametrize(
    "statement",
    statements("\n".join(sql_blocks(README.read_text()))),
    ids=lambda s: _code(s).splitlines()[0][:60],
)
def test_readme_sql_runs(loaded, statement):
    con = duckdb.connect(str(loaded["warehouse"]), read_only=True)
    try:
        rows = con.execute(statement).fetchall()
    finally:
        con.close()
    if statement in statements("\n".join(sql_blocks(guide_section(README.read_text())))):
        assert rows, f"guide query returned no rows on the sample data:\n{statement}"


def test_ci_runs_exactly_the_readme_test_command():
    """`.ci/run` calls the README's test command, word for word."""
    ci = (README.parent / ".ci" / "run").read_text()
    setup = README.read_text().split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", setup, flags=re.S)
    assert len(commands) == 2, "two set-up commands: run the pipeline, run the tests"
    assert commands[1].strip() in ci.splitlines()
