"""Where the repository and the dbt project are (defaults of the settings are taken from here)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
