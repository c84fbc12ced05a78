"""PostgreSQL for BI tools, against a real server these tests start (Debian's postgresql).

The server runs as the ``postgres`` user when the tests run as root (PostgreSQL refuses root),
from a private data directory on a free port, and is stopped at the end. The publisher logs in
as a non-superuser that owns the BI database and may create roles, as in production.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import psycopg
import pytest

from dagster_project.defs.resources import PostgresTarget, dbt_project, warehouse_resource
from dagster_project.defs.serving.postgres import postgres_marts
from dagster_project.lib.serving.catalog import read_catalog, served_tables
from dagster_project.lib.serving.postgres import pg_type, publish_postgres

ADMIN, ADMIN_PASSWORD = "rjw_admin", "admin-pw-for-tests"
PUBLISHER, PUBLISHER_PASSWORD = "rjw_publisher", "publisher-pw-for-tests"
READER, READER_PASSWORD = "rjw_reader", "reader-pw-for-tests"
SALT = "salt-for-tests"
DATABASE = "bi"


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL server binaries not found: `apt-get install -y postgresql` "
            "(the CI script installs it)"
        )
    return Path(found[-1]).parent


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_server():
    """A PostgreSQL server for this module: data dir and socket in a private temp folder."""
    bin_dir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="rjw-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    pwfile = root / "pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(root / "data"),
                "-U",
                ADMIN,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-o", options]
            + ["-l", str(root / "server.log"), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    admin = f"host=127.0.0.1 port={port} user={ADMIN} password={ADMIN_PASSWORD} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"create role {PUBLISHER} login createrole password '{PUBLISHER_PASSWORD}'")
        con.execute(f"create database {DATABASE} owner {PUBLISHER}")
    bi_admin = admin.replace("dbname=postgres", f"dbname={DATABASE}")
    with psycopg.connect(bi_admin, autocommit=True) as con:
        # data the BI role must never read: a private schema and a table in public
        con.execute("create schema private")
        con.execute("create table private.raw_people as select 'jane@acme.com' as email")
        con.execute("create table public.leads_raw as select 'joe@acme.com' as email")
    try:
        yield {
            "port": port,
            "admin": bi_admin,
            "publisher": f"host=127.0.0.1 port={port} user={PUBLISHER} "
            f"password={PUBLISHER_PASSWORD} dbname={DATABASE}",
            "reader": f"host=127.0.0.1 port={port} user={READER} "
            f"password={READER_PASSWORD} dbname={DATABASE}",
        }
    finally:
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def warehouse(loaded, tmp_path_factory) -> Path:
    """A private copy of the session warehouse (the publisher opens it read-write)."""
    target = tmp_path_factory.mktemp("pg-wh") / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], target)
    return target


def _target(pg_server, **overrides) -> PostgresTarget:
    settings = {
        "dsn": pg_server["publisher"],
        "reader_role": READER,
        "reader_password": READER_PASSWORD,
        "pii_salt": SALT,
        "lock_timeout_seconds": 1.0,
    }
    return PostgresTarget(**{**settings, **overrides})


def _materialize(warehouse: Path, target: PostgresTarget) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [postgres_marts],
        resources={"duckdb": warehouse_resource(warehouse), "postgres": target},
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def published(pg_server, warehouse):
    result = _materialize(warehouse, _target(pg_server))
    assert result.success
    return result


def _psql(dsn: str, query: str) -> subprocess.CompletedProcess:
    """The real psql client, as a BI user would run it (password from the environment)."""
    parts = dict(p.split("=", 1) for p in dsn.split())
    env = {**os.environ, "PGPASSWORD": parts.pop("password")}
    conninfo = " ".join(f"{k}={v}" for k, v in parts.items())
    return subprocess.run(
        ["psql", conninfo, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _duck(warehouse: Path, query: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchone()


def test_type_mapping():
    assert pg_type("DECIMAL(18,2)") == "numeric(18,2)"
    assert pg_type("HUGEINT") == "numeric(39, 0)"
    assert pg_type("TIMESTAMP WITH TIME ZONE") == "timestamp with time zone"
    assert pg_type("VARCHAR[]") == "jsonb"
    assert pg_type("STRUCT(a INTEGER)") == "jsonb"
    assert pg_type("ENUM('a', 'b')") == "text"


def test_without_a_dsn_the_step_is_skipped_and_says_so(warehouse):
    result = _materialize(warehouse, PostgresTarget())
    assert result.success
    assert result.get_asset_materialization_events() == []
    observations = result.asset_observations_for_node("serving__postgres_marts")
    assert observations[0].metadata["published"].value is False
    assert "RJW_POSTGRES_DSN" in observations[0].metadata["reason"].value


def test_reader_sees_the_marts_with_the_same_numbers_as_duckdb(published, pg_server, warehouse):
    meta = published.get_asset_materialization_events()[0].materialization.metadata
    assert meta["published"].value is True and meta["reader_can_login"].value is True
    assert "password" not in str(meta["database"].value)
    checks = {
        "select count(*) from marts.people": None,
        "select count(*) from marts.touchpoints": None,
        "select sum(billed_amount) from marts.customer_revenue": None,
        "select sum(credited_amount) from marts.attribution_credits "
        "where attribution_model = 'linear'": None,
        "select count(*) from attribution.data_driven_channel_credit": None,
        "select count(*) from seeds.channel_taxonomy": None,
    }
    for query in checks:
        expected = _duck(warehouse, query)[0]
        out = _psql(pg_server["reader"], query)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == str(expected), query
    with psycopg.connect(pg_server["reader"]) as con:
        for query in checks:
            assert con.execute(query).fetchone()[0] == _duck(warehouse, query)[0], query
        # every table of the warehouse's served schemas is there, row for row
        manifest = dict(
            ((s + "." + t), n)
            for s, t, n in con.execute(
                "select schema_name, table_name, row_count from serving.manifest"
            ).fetchall()
        )
        # the search path is set for the role: unqualified names work
        assert con.execute("select count(*) from opportunities").fetchone()[0] > 0
    with duckdb.connect(str(warehouse), read_only=True) as duck:
        tables = served_tables(duck)
        assert manifest == {
            t.qualified: duck.execute(f"select count(*) from {t.qualified}").fetchone()[0]
            for t in tables
        }


def test_reader_cannot_read_anything_else_or_write(published, pg_server):
    denied = {
        "select * from private.raw_people": "permission denied",
        "select * from public.leads_raw": "permission denied",
        # sessions default to read-only, and the role has no write privilege anyway
        "insert into marts.people (person_key) values ('x')": "read-only transaction",
        "begin read write; insert into marts.people (person_key) values ('x')": (
            "permission denied"
        ),
        "begin read write; update marts.accounts set account_name = 'x'": "permission denied",
        "begin read write; delete from seeds.exchange_rates": "permission denied",
        "begin read write; create table marts.scratch (x int)": "permission denied",
        "begin read write; create table public.scratch (x int)": "permission denied",
        "begin read write; create schema scratch": "permission denied",
        "begin read write; drop table marts.people": "must be owner",
    }
    for query, error in denied.items():
        out = _psql(pg_server["reader"], query)
        assert out.returncode != 0 and error in out.stderr, (query, out.stderr)
    with psycopg.connect(pg_server["reader"]) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("select * from private.raw_people")
        con.rollback()
        con.execute("set transaction read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("insert into marts.people (person_key) values ('x')")
    with psycopg.connect(pg_server["admin"]) as con:
        privileges = con.execute(
            """
            select n.nspname, has_schema_privilege(%s, n.oid, 'USAGE'),
                   has_schema_privilege(%s, n.oid, 'CREATE')
            from pg_namespace n where n.nspname not like 'pg\\_%%'
              and n.nspname <> 'information_schema'
            """,
            [READER, READER],
        ).fetchall()
    usage = {name for name, can_use, _ in privileges if can_use}
    assert usage == {"marts", "attribution", "seeds", "serving", "public"}  # public: PG default
    assert not any(can_create for *_, can_create in privileges)


def test_no_raw_email_reaches_postgres(published, pg_server, warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as duck:
        people = duck.execute(
            "select person_key, email, first_name, last_name from marts.people "
            "where email is not null"
        ).fetchall()
        customers = {
            n
            for (n,) in duck.execute("select customer_name from marts.customer_revenue").fetchall()
        }
    emails = {email for _, email, _, _ in people}
    assert len(emails) > 100
    with psycopg.connect(pg_server["admin"]) as con:
        text_columns = con.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where table_schema in ('marts', 'attribution', 'seeds', 'serving')
              and data_type in ('text', 'character varying', 'jsonb')
            """
        ).fetchall()
        leaked = []
        for schema, table, column in text_columns:
            values = con.execute(
                f'select distinct "{column}"::text from "{schema}"."{table}" '
                f'where "{column}"::text like %s',
                ["%@%"],
            ).fetchall()
            leaked += [v for (v,) in values if v in emails or any(e in v for e in emails)]
        assert leaked == []
        # hashed with the salt: same value, same hash, so joins and distinct counts still work
        key, email, first, _ = people[0]
        row = con.execute(
            "select email, first_name from marts.people where person_key = %s", [key]
        ).fetchone()
        assert row[0] == hashlib.sha256((SALT + email).encode()).hexdigest()
        assert row[1] == hashlib.sha256((SALT + first).encode()).hexdigest()
        assert con.execute("select count(distinct email) from marts.people").fetchone()[0] == len(
            emails
        )
        published_customers = {
            n for (n,) in con.execute("select customer_name from marts.customer_revenue").fetchall()
        }
        assert not (published_customers - {None}) & (customers - {None})


def test_mask_mode_keeps_emails_readable_but_not_identifying(pg_server, warehouse):
    catalog = read_catalog(dbt_project.manifest_path)
    with duckdb.connect(str(warehouse)) as duck:
        raw = dict(duck.execute("select person_key, email from marts.people").fetchall())
        result = publish_postgres(
            duck,
            pg_server["publisher"],
            run_id="mask-test",
            source_warehouse=str(warehouse),
            catalog=catalog,
            reader_role=READER,
            reader_password=READER_PASSWORD,
            pii_mode="mask",
            lock_timeout_seconds=1.0,
        )
    assert result["tables"]["marts.people"] == len(raw)
    with psycopg.connect(pg_server["reader"]) as con:
        masked = dict(con.execute("select person_key, email from marts.people").fetchall())
    for key, email in raw.items():
        if email:
            local, domain = email.split("@", 1)
            assert masked[key] == f"{local[0]}***@{domain}"


def test_bi_reader_sees_old_or_new_schema_never_a_mix(pg_server, warehouse):
    """A reader thread queries in a loop while two publishes run; each statement compares the
    live row counts with the manifest published with them."""
    target = _target(pg_server, pii_mode="hash")
    assert _materialize(warehouse, target).success
    query = """
        select (select min(run_id) from serving.manifest),
               (select count(*) from marts.people)
                 = (select row_count from serving.manifest where table_name = 'people'),
               (select count(*) from marts.attribution_credits)
                 = (select row_count from serving.manifest where table_name = 'attribution_credits')
    """
    seen, errors, stop = [], [], threading.Event()

    def read() -> None:
        with psycopg.connect(pg_server["reader"], autocommit=True) as con:
            deadline = time.time() + 300
            while not stop.is_set() and time.time() < deadline:
                try:
                    run_id, people_ok, credits_ok = con.execute(query).fetchone()
                    seen.append((run_id, people_ok and credits_ok))
                except psycopg.Error as exc:
                    errors.append(str(exc))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        while not seen:
            time.sleep(0.01)
        runs = [_materialize(warehouse, target) for _ in range(2)]
    finally:
        stop.set()
        thread.join()
    assert all(r.success for r in runs)
    assert errors == []
    assert all(ok for _, ok in seen)
    run_ids = [run_id for run_id, _ in seen]
    assert runs[-1].run_id in run_ids  # the reader saw the new schema arrive
    assert len(seen) > 20


def test_a_reader_holding_old_tables_does_not_block_the_swap(pg_server, warehouse):
    assert _materialize(warehouse, _target(pg_server)).success
    holder = psycopg.connect(pg_server["reader"])
    try:
        holder.execute("select count(*) from marts.people")  # holds a lock until rollback
        result = _materialize(warehouse, _target(pg_server))
        assert result.success
        meta = result.get_asset_materialization_events()[0].materialization.metadata
        kept = meta["old_schemas_kept"].value
        assert kept and all(name.startswith("rjw_old_") for name in kept)
        # the holder's next statement already reads the new tables
        holder.execute("select count(*) from marts.people")
    finally:
        holder.close()
    assert _materialize(warehouse, _target(pg_server)).success  # cleans up what was kept
    with psycopg.connect(pg_server["admin"]) as con:
        left = con.execute(
            "select nspname from pg_namespace where nspname like 'rjw\\_%%'"
        ).fetchall()
    assert left == []


def test_a_failed_publish_leaves_the_old_schema_as_it_was(pg_server, warehouse, tmp_path):
    assert _materialize(warehouse, _target(pg_server)).success
    with psycopg.connect(pg_server["reader"]) as con:
        before = con.execute(
            "select run_id, schema_name, table_name, row_count from serving.manifest order by 2, 3"
        ).fetchall()
    broken = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        # a date PostgreSQL cannot store: the COPY of this table fails half-way through the load
        con.execute("create table marts.zz_far_future as select date '5881580-01-01' as d")
    result = _materialize(broken, _target(pg_server))
    assert not result.success
    error = str(result.get_step_failure_events()[0].event_specific_data.error)
    assert "marts.zz_far_future" in error
    with psycopg.connect(pg_server["reader"]) as con:
        after = con.execute(
            "select run_id, schema_name, table_name, row_count from serving.manifest order by 2, 3"
        ).fetchall()
        assert con.execute("select count(*) from marts.people").fetchone()[0] > 0
    assert after == before
    with psycopg.connect(pg_server["admin"]) as con:
        assert (
            con.execute(
                "select count(*) from pg_namespace where nspname like 'rjw\\_%%'"
            ).fetchone()[0]
            == 0
        )


def test_a_nologin_reader_role_is_a_group_for_bi_users(pg_server, warehouse):
    target = _target(pg_server, reader_role="bi_readers", reader_password=None)
    result = _materialize(warehouse, target)
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["reader_can_login"].value is False
    with psycopg.connect(pg_server["admin"], autocommit=True) as con:
        con.execute("create role analyst_anna login password 'anna-pw' in role bi_readers")
    anna = (
        pg_server["reader"]
        .replace(f"user={READER}", "user=analyst_anna")
        .replace(f"password={READER_PASSWORD}", "password=anna-pw")
    )
    out = _psql(anna, "select count(*) > 0 from marts.opportunities")
    assert out.returncode == 0 and out.stdout.strip() == "t", out.stderr
    assert "permission denied" in _psql(anna, "select * from private.raw_people").stderr


def test_the_analysts_guide_runs_on_postgres_with_duckdbs_answers(published, pg_server, warehouse):
    """The README's five business questions, as the read-only BI role, give DuckDB's rows."""
    from tests.test_readme import README, guide_section, sql_blocks, statements

    def normalised(rows):
        return [
            tuple(round(float(v), 6) if isinstance(v, (int, float, Decimal)) else v for v in row)
            for row in rows
        ]

    queries = statements("\n".join(sql_blocks(guide_section(README.read_text()))))
    assert len(queries) >= 5
    # published afresh with the default settings (earlier tests publish with other roles)
    assert _materialize(warehouse, _target(pg_server)).success
    with (
        psycopg.connect(pg_server["reader"]) as con,
        duckdb.connect(str(warehouse), read_only=True) as duck,
    ):
        for query in queries:
            expected = normalised(duck.execute(query).fetchall())
            assert expected, query
            assert normalised(con.execute(query).fetchall()) == expected, query
