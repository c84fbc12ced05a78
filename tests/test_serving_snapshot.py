"""The analysts' DuckDB snapshot: complete, atomic, readable while a run publishes, rollback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa

from dagster_project.cli import main as rjw
from dagster_project.defs.resources import (
    ReportsFolder,
    ServingTarget,
    dbt_cli,
    dbt_project,
    warehouse_resource,
)
from dagster_project.defs.serving.snapshot import duckdb_snapshot
from dagster_project.defs.transform.dbt import dbt_models
from dagster_project.generate import generate
from dagster_project.lib.serving import pii as pii_sql
from dagster_project.lib.serving.catalog import SERVED_SCHEMAS, read_catalog, served_tables
from dagster_project.lib.serving.snapshot import (
    MANIFEST_FILE,
    NEXT_FILE,
    PREVIOUS_FILE,
    SNAPSHOT_FILE,
    snapshot_manifest,
)
from tests.conftest import pipeline_assets, resources_for


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _warehouse_copy(loaded, tmp_path: Path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], target)
    return target


def _publish(warehouse: Path, serving: Path, **target) -> dg.ExecuteInProcessResult:
    """Materialise the real snapshot asset alone (its upstream assets already ran)."""
    return dg.materialize(
        [duckdb_snapshot],
        resources={
            "duckdb": warehouse_resource(warehouse),
            "serving": ServingTarget(root=str(serving), **target),
        },
        raise_on_error=False,
    )


def test_the_pipeline_run_published_every_served_table(loaded):
    serving = loaded["warehouse"].parent / "serving"
    snapshot = serving / SNAPSHOT_FILE
    manifest = snapshot_manifest(snapshot)
    assert manifest["run_id"] == loaded["result"].run_id
    assert manifest["pii_mode"] == "none"  # analysts are internal: raw values by default
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as wh:
        expected = {
            t.qualified: wh.execute(f"select count(*) from {t.qualified}").fetchone()[0]
            for t in served_tables(wh)
        }
    assert manifest["tables"] == expected
    assert {k.split(".")[0] for k in expected} == set(SERVED_SCHEMAS)
    assert expected["marts.people"] > 100 and expected["marts.attribution_credits"] > 1000
    # complete and closed: no write-ahead log, no half-built file, read-only on disk
    assert not (serving / f"{SNAPSHOT_FILE}.wal").exists()
    assert not (serving / NEXT_FILE).exists()
    assert snapshot.stat().st_mode & 0o222 == 0
    assert json.loads((serving / MANIFEST_FILE).read_text())["tables"] == expected
    # dbt descriptions travel with the tables
    with duckdb.connect(str(snapshot), read_only=True) as con:
        comment = con.execute(
            "select comment from duckdb_tables() where schema_name = 'marts' "
            "and table_name = 'people'"
        ).fetchone()[0]
    assert comment and "person" in comment.lower()


def test_sqlalchemy_reads_the_snapshot_read_only(loaded):
    snapshot = loaded["warehouse"].parent / "serving" / SNAPSHOT_FILE
    # the URL analysts and Superset use (duckdb-engine)
    engine = sa.create_engine(f"duckdb:///{snapshot}?access_mode=read_only")
    try:
        with engine.connect() as con:
            rows = con.execute(sa.text("select count(*) from marts.opportunities")).scalar()
            assert rows > 0
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                con.execute(sa.text("create table marts.scratch (x integer)"))
    finally:
        engine.dispose()


def test_snapshot_pii_mode_is_configurable(loaded, tmp_path):
    warehouse = _warehouse_copy(loaded, tmp_path)
    result = _publish(warehouse, tmp_path / "serving", pii_mode="mask")
    assert result.success
    with duckdb.connect(str(warehouse), read_only=True) as wh:
        raw = dict(wh.execute("select person_key, email from marts.people").fetchall())
    with duckdb.connect(str(tmp_path / "serving" / SNAPSHOT_FILE), read_only=True) as con:
        published = dict(con.execute("select person_key, email from marts.people").fetchall())
        names = con.execute("select distinct first_name from marts.people").fetchall()
    assert published.keys() == raw.keys()
    for key, email in raw.items():
        if email is None:
            assert published[key] is None
        else:
            assert published[key] == email[0] + "***@" + email.split("@", 1)[1]
    assert all(n is None or (len(n) == 4 and n.endswith("***")) for (n,) in names)


def test_every_column_that_looks_personal_is_tagged(loaded):
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        tables = {(t.schema, t.name): [c for c, _ in t.columns] for t in served_tables(con)}
    catalog = read_catalog(dbt_project.manifest_path)
    assert catalog.pii[("marts", "people")] == {
        "email": "email",
        "first_name": "name",
        "last_name": "name",
    }
    assert pii_sql.untagged_suspects(tables, catalog.pii) == [], (
        "tag these columns in the dbt YAML with config: {meta: {pii: email|name}}"
    )


def test_snapshot_runs_after_every_asset_that_writes_a_served_table(loaded):
    from dagster_project.definitions import defs

    all_keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    deps = {d.asset_key for d in duckdb_snapshot.specs_by_key[duckdb_snapshot.key].deps}
    assert deps <= all_keys  # nothing external or misspelt
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        tables = served_tables(con)
    for t in tables:  # dbt models and seeds are keyed by name, Python assets by schema/name
        assert dg.AssetKey(t.name) in deps or dg.AssetKey([t.schema, t.name]) in deps, t


def test_failed_run_leaves_the_snapshot_untouched_and_rollback_swaps(loaded, tmp_path, monkeypatch):
    warehouse = _warehouse_copy(loaded, tmp_path)
    serving = tmp_path / "serving"
    first, second = _publish(warehouse, serving), _publish(warehouse, serving)
    assert first.success and second.success
    current, previous = serving / SNAPSHOT_FILE, serving / PREVIOUS_FILE
    assert snapshot_manifest(current)["run_id"] == second.run_id
    assert snapshot_manifest(previous)["run_id"] == first.run_id
    before = (_sha(current), _sha(previous))

    # 1. the publish itself fails half-way: a stale view in marts breaks one table's copy
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.zz_scratch as select 1 as x")
        con.execute("create view marts.zz_stale as select * from marts.zz_scratch")
        con.execute("drop table marts.zz_scratch")
    broken = _publish(warehouse, serving)
    assert not broken.success
    assert "zz_scratch" in str(broken.get_step_failure_events()[0].event_specific_data.error)
    assert (_sha(current), _sha(previous)) == before
    assert not (serving / NEXT_FILE).exists()
    assert not (serving / f"{NEXT_FILE}.wal").exists()
    assert json.loads((serving / MANIFEST_FILE).read_text())["run_id"] == second.run_id

    # 2. an upstream asset fails: the snapshot step does not run at all
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop view marts.zz_stale")
        con.execute("drop table marts.attribution_paths")
    upstream = dg.materialize(
        [dbt_models, duckdb_snapshot],
        selection=[dg.AssetKey("data_driven_channel_credit"), duckdb_snapshot.key],
        resources={
            "duckdb": warehouse_resource(warehouse),
            "serving": ServingTarget(root=str(serving)),
            "dbt": dbt_cli(),
            "reports": ReportsFolder(root=str(serving.parent / "reports")),
        },
        raise_on_error=False,
    )
    assert not upstream.success
    started = {e.step_key for e in upstream.all_events if e.event_type_value == "STEP_START"}
    assert started == {"dbt_models"}  # the publish never started
    assert upstream.get_asset_materialization_events() == []
    assert (_sha(current), _sha(previous)) == before

    # 3. rollback through the CLI, and again to undo it
    monkeypatch.setenv("RJW_SERVING_DIR", str(serving))
    assert rjw(["serving", "rollback"]) == 0
    assert snapshot_manifest(current)["run_id"] == first.run_id
    assert snapshot_manifest(previous)["run_id"] == second.run_id
    assert json.loads((serving / MANIFEST_FILE).read_text())["run_id"] == first.run_id
    assert rjw(["serving", "rollback"]) == 0
    assert (_sha(current), _sha(previous)) == before
    assert rjw(["serving", "status"]) == 0


def test_rollback_without_a_previous_snapshot_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RJW_SERVING_DIR", str(tmp_path))
    assert rjw(["serving", "rollback"]) == 1
    assert "no previous snapshot" in capsys.readouterr().err


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb

    snapshot, log, stop = Path(sys.argv[1]), open(sys.argv[2], "a"), Path(sys.argv[3])
    deadline = time.time() + 600  # bounded even if the test dies
    while not stop.exists() and time.time() < deadline:
        record = {"at": time.time()}
        try:
            # a fresh connection each time, as a notebook cell or a BI query would
            with duckdb.connect(str(snapshot), read_only=True) as con:
                manifest = con.execute(
                    "select run_id, schema_name || '.' || table_name, row_count "
                    "from serving.manifest"
                ).fetchall()
                record["run_id"] = manifest[0][0]
                record["mismatched"] = [
                    name for _, name, rows in manifest
                    if con.execute(f"select count(*) from {name}").fetchone()[0] != rows
                ]
                credits, by_channel = con.execute(
                    "select (select sum(credited_amount) from marts.attribution_credits "
                    "        where attribution_model = 'linear'), "
                    "       (select sum(credited_amount) from marts.attribution_by_channel "
                    "        where attribution_model = 'linear')"
                ).fetchone()
                deals, journeys = con.execute(
                    "select (select count(*) from marts.opportunities), "
                    "       (select count(*) from marts.opportunity_journeys)"
                ).fetchone()
                record["consistent"] = credits == by_channel and deals == journeys
                record["deals"] = deals
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
        log.write(json.dumps(record) + "\\n")
        log.flush()
        time.sleep(0.1)
    """
)


def test_a_reader_keeps_querying_while_a_full_run_publishes(loaded, tmp_path, monkeypatch):
    """A separate process queries the snapshot in a loop while the real pipeline loads another
    world into a fresh warehouse, builds it and publishes over the first snapshot."""
    serving = tmp_path / "serving"
    first = _publish(_warehouse_copy(loaded, tmp_path), serving)
    assert first.success
    world = tmp_path / "world"
    generate(world / "landing", world / "truth", accounts=40, seed=11)
    warehouse = tmp_path / "second" / "warehouse.duckdb"
    warehouse.parent.mkdir()

    log, stop = tmp_path / "reader.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(serving / SNAPSHOT_FILE), str(log), str(stop)]
    )
    try:
        while not log.exists() or not log.read_text().strip():
            assert reader.poll() is None, "the reader died at start"
            time.sleep(0.05)
        result = dg.materialize(
            pipeline_assets(), resources=resources_for(warehouse, world / "landing", serving)
        )
        assert result.success
        time.sleep(0.5)  # let the reader see the new snapshot a few times
    finally:
        stop.touch()
        reader.wait(timeout=30)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    errors = [r["error"] for r in records if "error" in r]
    assert errors == []
    assert all(r["consistent"] and r["mismatched"] == [] for r in records)
    seen = [r["run_id"] for r in records]
    assert seen[0] == first.run_id and seen[-1] == result.run_id
    # once switched, never back: each query saw one whole snapshot, old then new
    switch = seen.index(result.run_id)
    assert set(seen[:switch]) == {first.run_id} and set(seen[switch:]) == {result.run_id}
    assert len({r["deals"] for r in records}) == 2  # the worlds differ, so the swap is visible
    assert len(records) > 50
    assert snapshot_manifest(serving / PREVIOUS_FILE)["run_id"] == first.run_id
    assert os.stat(serving / SNAPSHOT_FILE).st_nlink == 1  # previous is its own file again
