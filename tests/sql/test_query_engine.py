"""LocalQueryEngine and `carelake query` on a tiny lake published here with pyarrow.

The lake declares its own tables: silver.encounter (two dt partitions, plus a version
folder no commit lists, as a killed run leaves it, which must be ignored), gold.fact_claim
(partner_id and dt partitions), gold.empty_table and gold.fact_late (declared, no commit
yet). The views folder holds views whose file names sort opposite to their dependencies, a
view on the empty table, one on a table nobody declares, one on that broken view, a syntax
error, a cycle and a file that is not a view. Expected numbers are worked out by hand.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from carelake.cli import app
from carelake.declarations import Table, schema
from carelake.lake.publish import publish
from carelake.query import (
    AthenaSyntaxError,
    LakeNotFoundError,
    LocalQueryEngine,
    QueryExecutionError,
    UnknownObjectError,
    UnsupportedSqlError,
    ViewUnavailableError,
    console,
)

ENCOUNTERS_MARCH = {
    "encounter_id": ["e1"],
    "patient_id": ["p1"],
    "admitted_at": [datetime(2024, 3, 1, 8, 0)],
    "discharged_at": [datetime(2024, 3, 1, 20, 0)],
    "los_days": [0],
}
ENCOUNTERS_APRIL = {
    "encounter_id": ["e2", "e3"],
    "patient_id": ["p1", "p2"],
    "admitted_at": [datetime(2024, 4, 1, 8, 0), datetime(2024, 4, 5, 9, 0)],
    "discharged_at": [datetime(2024, 4, 3, 10, 0), datetime(2024, 4, 8, 9, 0)],
    "los_days": [2, 3],
}
ENCOUNTER_SCHEMA = pa.schema(
    [
        ("encounter_id", pa.string()),
        ("patient_id", pa.string()),
        ("admitted_at", pa.timestamp("us")),
        ("discharged_at", pa.timestamp("us")),
        ("los_days", pa.int32()),
    ]
)
CLAIM_SCHEMA = pa.schema(
    [("claim_id", pa.string()), ("billed", pa.decimal128(12, 2)), ("paid", pa.decimal128(12, 2))]
)
CLAIMS = {
    "claim_id": ["c1", "c2", "c3"],
    "billed": [Decimal("100.00"), Decimal("50.00"), Decimal("30.00")],
    "paid": [Decimal("80.00"), Decimal("0.00"), Decimal("29.00")],
}

VIEWS = {
    # File names sort a_ before z_, but the summary reads the base view.
    "a_claim_summary.sql": """
        -- grain: one row for the whole lake
        create or replace view v_claim_summary as
        select count(*) as claims, sum(paid) / sum(billed) as paid_ratio, avg(paid) as avg_paid
        from v_claim_base
    """,
    "z_claim_base.sql": """
        -- grain: one row per claim
        -- order_by: paid desc, claim_id
        create or replace view v_claim_base as
        select claim_id, billed, paid, partner_id, dt from carelake_dev_gold.fact_claim
    """,
    "m_readmit_gap.sql": """
        create or replace view v_readmit_gap as
        select patient_id, encounter_id,
               date_diff('day', discharged_at, next_admitted_at) as days_to_next
        from (
            select *,
                   lead(admitted_at) over (partition by patient_id order by admitted_at) as next_admitted_at
            from silver.encounter
        )
    """,
    "empty.sql": "create or replace view v_on_empty as select count(*) as n from gold.empty_table",
    "broken.sql": "create or replace view v_needs_undeclared as select * from gold.undeclared",
    "on_broken.sql": "create or replace view v_on_broken as select count(*) as n from v_needs_undeclared",
    "bad_syntax.sql": "create or replace view v_bad as select (1 from x",
    "cycle_a.sql": "create or replace view v_cycle_a as select * from v_cycle_b",
    "cycle_b.sql": "create or replace view v_cycle_b as select * from v_cycle_a",
    "not_a_view.sql": "select 1",
}


def declared(zone: str, name: str, columns: str, partition_keys: tuple[str, ...] = ()) -> Table:
    return Table(zone, name, f"test table {name}", schema(columns), partition_keys=partition_keys)


ENCOUNTER = declared(
    "silver",
    "encounter",
    "encounter_id string, patient_id string, admitted_at timestamp, discharged_at timestamp, los_days int",
    ("dt",),
)
FACT_CLAIM = declared(
    "gold", "fact_claim", "claim_id string, billed decimal(12,2), paid decimal(12,2)", ("partner_id", "dt")
)
EMPTY = declared("gold", "empty_table", "x bigint, amount decimal(12,2)", ("dt",))
LATE = declared("gold", "fact_late", "claim_id string")
TABLES = (ENCOUNTER, FACT_CLAIM, EMPTY, LATE)
WRITERS = {t.qualified_name: ("test_job",) for t in TABLES}


def engine_for(lake: Path, views: Path) -> LocalQueryEngine:
    return LocalQueryEngine(lake, views, tables=TABLES, writers=WRITERS)


def arrow(columns: dict[str, list[object]], schema: pa.Schema, **constants: str) -> pa.Table:
    table = pa.table(columns, schema=schema)
    for key, value in constants.items():
        table = table.append_column(key, pa.array([value] * table.num_rows, pa.string()))
    return table


def build_lake(root: Path) -> tuple[Path, Path]:
    lake = root / "lake"
    lake.mkdir(parents=True)
    encounters = pa.concat_tables(
        [
            arrow(ENCOUNTERS_MARCH, ENCOUNTER_SCHEMA, dt="2024-03-01"),
            arrow(ENCOUNTERS_APRIL, ENCOUNTER_SCHEMA, dt="2024-04-01"),
        ]
    )
    publish(
        lake,
        "test_job",
        {ENCOUNTER: encounters, FACT_CLAIM: arrow(CLAIMS, CLAIM_SCHEMA, partner_id="007", dt="2024-03-01")},
    )
    # What a killed run leaves: a version folder that no commit lists.
    orphan = lake / "silver" / "job=test_job" / "table=encounter" / "dt=2024-03-01" / "v=0000002-deadbeef"
    orphan.mkdir(parents=True)
    pq.write_table(
        arrow(dict(ENCOUNTERS_MARCH, encounter_id=["e9"]), ENCOUNTER_SCHEMA), orphan / "part-0.parquet"
    )
    views = root / "views"
    views.mkdir()
    for name, sql in VIEWS.items():
        (views / name).write_text(sql)
    return lake, views


@pytest.fixture(scope="module")
def lake_and_views(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_lake(tmp_path_factory.mktemp("carelake"))


@pytest.fixture(scope="module")
def engine(lake_and_views: tuple[Path, Path]) -> LocalQueryEngine:
    lake, views = lake_and_views
    with engine_for(lake, views) as engine:
        yield engine


def test_tables_are_the_declared_ones_as_their_commits_say(engine: LocalQueryEngine) -> None:
    assert [t.qualified_name for t in engine.tables] == [t.qualified_name for t in TABLES]
    assert [t.qualified_name for t in engine.empty_tables] == ["gold.empty_table", "gold.fact_late"]
    assert engine.skipped_tables == []


def test_partition_columns_stay_strings(engine: LocalQueryEngine) -> None:
    frame = engine.query(
        "select dt, partner_id, typeof(dt) as dt_type, typeof(partner_id) as p_type from fact_claim"
    )
    assert set(frame["dt"]) == {"2024-03-01"}
    assert set(frame["partner_id"]) == {"007"}  # a number type would have dropped the leading zeros
    assert set(frame["dt_type"]) == {"VARCHAR"} and set(frame["p_type"]) == {"VARCHAR"}
    assert list(engine.query("select * from fact_claim").columns) == [
        "claim_id",
        "billed",
        "paid",
        "partner_id",
        "dt",
    ]


def test_versions_no_commit_lists_are_not_read(engine: LocalQueryEngine) -> None:
    frame = engine.query("select encounter_id from silver.encounter order by encounter_id")
    assert list(frame["encounter_id"]) == ["e1", "e2", "e3"]  # not e9 from the orphan folder


def test_a_declared_table_without_a_commit_is_empty_with_its_columns(engine: LocalQueryEngine) -> None:
    frame = engine.query("select * from gold.empty_table")
    assert list(frame.columns) == ["x", "amount", "dt"] and frame.empty
    assert engine.query("v_on_empty")["n"].item() == 0


def test_views_are_created_after_the_views_they_read(engine: LocalQueryEngine) -> None:
    created = [s.name for s in engine.view_statuses if s.created]
    assert created.index("gold.v_claim_base") < created.index("gold.v_claim_summary")
    row = engine.query("v_claim_summary").iloc[0]
    assert row["claims"] == 3
    # Trino: sum(decimal(12,2)) is decimal(38,2); 109.00 / 180.00 keeps scale 2: 0.6055.. -> 0.61
    assert row["paid_ratio"] == pytest.approx(0.61, abs=1e-9)
    # avg(decimal(12,2)) is decimal(12,2): 109.00 / 3 = 36.333.. -> 36.33
    assert row["avg_paid"] == pytest.approx(36.33, abs=1e-9)


def test_date_diff_in_a_view_counts_whole_days_of_parquet_timestamps(engine: LocalQueryEngine) -> None:
    frame = engine.query("select encounter_id, days_to_next from v_readmit_gap order by encounter_id")
    # e1 discharged 2024-03-01 20:00, e2 admitted 2024-04-01 08:00: 30 days 12 hours -> 30
    assert frame.loc[frame["encounter_id"] == "e1", "days_to_next"].item() == 30
    assert frame.loc[frame["encounter_id"] != "e1", "days_to_next"].isna().all()


def test_a_broken_view_is_reported_and_does_not_block_the_others(engine: LocalQueryEngine) -> None:
    failed = engine.failed_views
    assert "gold.undeclared" in failed["gold.v_needs_undeclared"]
    assert "neither a declared table nor a view" in failed["gold.v_needs_undeclared"]
    assert failed["gold.v_on_broken"] == "depends on view gold.v_needs_undeclared, which could not be created"
    assert "line 1, column" in failed["bad_syntax"]
    assert failed["gold.v_cycle_a"].startswith("dependency cycle")
    assert failed["gold.v_cycle_b"].startswith("dependency cycle")
    assert "expected one `create or replace view" in failed["not_a_view"]
    created = {s.name for s in engine.view_statuses if s.created}
    assert created == {"gold.v_claim_base", "gold.v_claim_summary", "gold.v_readmit_gap", "gold.v_on_empty"}
    with pytest.raises(ViewUnavailableError, match="neither a declared table nor a view"):
        engine.query("v_needs_undeclared")
    with pytest.raises(ViewUnavailableError, match=re.escape("depends on view gold.v_needs_undeclared")):
        engine.query("select n from v_on_broken")


def test_athena_database_names_resolve_to_zones(engine: LocalQueryEngine) -> None:
    frame = engine.query("select count(*) as n from awsdatacatalog.carelake_prod_silver.encounter")
    assert frame["n"].item() == 3


def test_ad_hoc_sql_keeps_trino_division(engine: LocalQueryEngine) -> None:
    frame = engine.query(
        "select los_days / 2 as half, paid / billed as ratio, 1 + 1 "
        "from silver.encounter e join fact_claim c on c.claim_id = 'c3' where e.encounter_id = 'e3'"
    )
    assert list(frame.columns) == ["half", "ratio", "_col2"]
    assert frame["half"].item() == 1  # integer 3 / 2 truncates
    assert frame["ratio"].item() == pytest.approx(0.97, abs=1e-9)  # 29.00 / 30.00 = 0.966.. -> 0.97


def test_unknown_names_get_suggestions(engine: LocalQueryEngine) -> None:
    with pytest.raises(UnknownObjectError, match=re.escape("did you mean gold.v_claim_summary")):
        engine.query("v_claim_sumary")
    with pytest.raises(UnknownObjectError, match=re.escape("gold.fact_claims")):
        engine.query("select * from fact_claims")


def test_syntax_errors_carry_line_and_column(engine: LocalQueryEngine) -> None:
    with pytest.raises(AthenaSyntaxError) as caught:
        engine.query("select claim_id\nfrom fact_claim where")
    assert caught.value.line == 2
    assert "line 2, column" in str(caught.value)


def test_unknown_column_error_names_the_column(engine: LocalQueryEngine) -> None:
    with pytest.raises(QueryExecutionError, match="Column 'nope' could not be resolved"):
        engine.query("select nope from fact_claim")


def test_only_queries_run(engine: LocalQueryEngine) -> None:
    with pytest.raises(UnsupportedSqlError, match="only queries"):
        engine.query("drop view v_claim_summary")
    assert engine.query("v_claim_summary")["claims"].item() == 3


def test_missing_lake_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LakeNotFoundError, match="lake not found"):
        LocalQueryEngine(tmp_path / "nowhere")


def test_refresh_picks_up_commits_made_later(tmp_path: Path) -> None:
    lake, views = build_lake(tmp_path)
    with engine_for(lake, views) as engine:
        assert engine.query("gold.fact_late").empty
        publish(lake, "test_job", {LATE: pa.table({"claim_id": ["c9"]})})
        assert engine.query("gold.fact_late").empty  # the engine reads commits when it (re)starts
        engine.refresh()
        assert list(engine.query("gold.fact_late")["claim_id"]) == ["c9"]


# --- the CLI -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def test_tables_in_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """`carelake query` declares the registry's tables; here, the test lake's."""
    monkeypatch.setattr(
        console, "LocalQueryEngine", functools.partial(LocalQueryEngine, tables=TABLES, writers=WRITERS)
    )


def run_cli(lake_and_views: tuple[Path, Path], *args: str) -> tuple[int, str, str]:
    lake, views = lake_and_views
    result = CliRunner().invoke(app, ["query", *args, "--lake", str(lake), "--views", str(views)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_prints_a_view_as_a_table(lake_and_views: tuple[Path, Path]) -> None:
    code, out, err = run_cli(lake_and_views, "v_claim_summary")
    assert code == 0, err
    assert "claims" in out and "paid_ratio" in out and "0.61" in out and "36.33" in out and "1 row" in out
    assert "could not be created" in err  # the broken views are mentioned, not fatal


def test_cli_csv_and_json(lake_and_views: tuple[Path, Path]) -> None:
    code, out, _ = run_cli(lake_and_views, "v_claim_summary", "--format", "csv")
    assert code == 0
    assert out == "claims,paid_ratio,avg_paid\n3,0.61,36.33\n"
    code, out, _ = run_cli(
        lake_and_views, "select claim_id, paid from fact_claim order by claim_id", "--format", "json"
    )
    assert code == 0
    assert json.loads(out) == [
        {"claim_id": "c1", "paid": 80.0},
        {"claim_id": "c2", "paid": 0.0},
        {"claim_id": "c3", "paid": 29.0},
    ]


def test_cli_show_sql_and_file(lake_and_views: tuple[Path, Path], tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("select date_diff('day', admitted_at, discharged_at) as days from silver.encounter\n")
    code, out, err = run_cli(lake_and_views, "--file", str(query), "--show-sql", "--format", "csv")
    assert code == 0, err
    assert "DATE_SUB" in err  # the DuckDB SQL goes to stderr, the CSV stays clean
    # e1: 12 hours -> 0; e2: 2 days 2 hours -> 2; e3: exactly 3 days -> 3
    assert sorted(out.splitlines()[1:]) == ["0", "2", "3"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["v_claim_sumary"], 1, "unknown view or table 'v_claim_sumary'; did you mean gold.v_claim_summary?"),
        (["select (1"], 1, "SQL syntax error at line 1, column 9"),
        (["v_needs_undeclared"], 1, "view gold.v_needs_undeclared could not be created"),
        (["v_claim_summary", "--format", "xml"], 2, "--format must be one of table, csv, json"),
        ([], 2, "give a view name, Athena SQL, or --file"),
    ],
)
def test_cli_errors_are_clear(
    lake_and_views: tuple[Path, Path], args: list[str], code: int, message: str
) -> None:
    got_code, out, err = run_cli(lake_and_views, *args)
    assert got_code == code
    assert message in err
    assert out == ""


def test_cli_missing_lake(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["query", "select 1", "--lake", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "lake not found" in result.stderr


def test_a_view_named_alone_is_sorted_as_its_header_declares(lake_and_views: tuple[Path, Path]) -> None:
    # -- order_by: paid desc, claim_id  ->  c1 (80.00), c3 (29.00), c2 (0.00)
    code, out, err = run_cli(lake_and_views, "v_claim_base", "--format", "csv")
    assert code == 0, err
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["c1", "c3", "c2"]
    code, out, _ = run_cli(lake_and_views, "v_claim_base")
    assert code == 0
    assert [m.group(1) for m in re.finditer(r"\b(c[0-9])\b", out)] == ["c1", "c3", "c2"]


def test_a_malformed_order_header_makes_the_view_unavailable(tmp_path: Path) -> None:
    lake, views = build_lake(tmp_path)
    (views / "z_claim_base.sql").write_text(
        "-- order_by: paid descending\ncreate or replace view v_claim_base as select * from gold.fact_claim"
    )
    with LocalQueryEngine(lake, views) as engine:
        assert (
            "order_by: 'paid descending' is not `<column> [asc|desc]`" in engine.failed_views["z_claim_base"]
        )


def test_the_table_rounds_floats_and_csv_json_keep_every_digit(lake_and_views: tuple[Path, Path]) -> None:
    sql = "select cast(1 as double) / 3 as rate, cast(2 as double) / 3 * 100 as mean_days, cast(0.5 as double) as half"
    code, out, err = run_cli(lake_and_views, sql)
    assert code == 0, err
    assert "0.3333" in out and "66.6667" in out and " 0.5 " in out
    assert "0.33333" not in out and "66.66666" not in out
    code, out, _ = run_cli(lake_and_views, sql, "--format", "csv")
    assert out.splitlines()[1] == f"{1 / 3!r},{2 / 3 * 100!r},0.5"
    code, out, _ = run_cli(lake_and_views, sql, "--format", "json")
    assert json.loads(out) == [{"rate": 1 / 3, "mean_days": 2 / 3 * 100, "half": 0.5}]


def test_every_kind_of_missing_value_prints_as_null(lake_and_views: tuple[Path, Path]) -> None:
    sql = (
        "select cast(null as varchar) as text, cast(null as double) as ratio, cast(null as integer) as n, "
        "cast(null as date) as day, cast(null as timestamp) as at, cast(null as decimal(14, 2)) as amount"
    )
    code, out, err = run_cli(lake_and_views, sql)
    assert code == 0, err
    body = out.splitlines()[3]  # top border, header, separator, the row
    assert body.split() == ["│", "NULL", "│", "NULL", "│", "NULL", "│", "NULL", "│", "NULL", "│", "NULL", "│"]
    for other in ("None", "NaN", "<NA>", "NaT", "nan"):
        assert other not in out


def test_flags_show_as_flags_in_help() -> None:
    result = CliRunner().invoke(app, ["query", "--help"])
    assert result.exit_code == 0
    assert re.search(r"^\s+--show-sql\s+Print the DuckDB SQL", result.stdout, re.MULTILINE), result.stdout
    assert "<bool>" not in result.stdout
    assert "--lake <path>" in result.stdout  # options that take a value still say what


# --- carelake run: one line per problem ------------------------------------------------------


def test_run_with_an_unknown_job_says_so_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--job", "nope", "--lake", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: unknown jobs ['nope']; the manifest has [")
    assert "pass one of the manifest's jobs to --job" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_run_with_a_bad_dt_says_so_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--dt", "2024-02-30", "--lake", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --dt: ") and result.stderr.count("\n") == 1


def _fail_after_first_job(lake, dt, only=None, overrides=None, manifest=None, on_done=None):
    from carelake.pipeline.accounting import RunCounts
    from carelake.runner import JobResult

    first = manifest.ordered()[0].name
    on_done(JobResult(first, RunCounts(), 0.1))
    raise RuntimeError("Py4JJavaError: boom\n  at org.apache.spark ...\n  more lines")


def test_a_failing_job_is_one_line_and_the_traceback_needs_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carelake.runner
    from carelake.manifest import load_manifest

    monkeypatch.setattr(carelake.runner, "run_jobs", _fail_after_first_job)
    second = load_manifest().ordered()[1].name
    result = CliRunner().invoke(app, ["run", "--lake", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: job {second} failed: RuntimeError: Py4JJavaError: boom "
        f"(see docs/runbook.md#{second}; rerun with --debug for the traceback)\n"
    )
    debug = CliRunner().invoke(app, ["run", "--lake", str(tmp_path), "--debug"])
    assert isinstance(debug.exception, RuntimeError)


def test_a_list_column_prints_as_a_list(lake_and_views: tuple[Path, Path]) -> None:
    """DuckDB hands a list value to pandas as a numpy array (the run records' map_keys did this)."""
    code, out, err = run_cli(lake_and_views, "select ['a', 'b'] as names, cast(null as varchar[]) as none")
    assert code == 0, err
    body = out.splitlines()[3]
    assert body.split() == ["│", "['a',", "'b']", "│", "NULL", "│"]
    code, out, err = run_cli(lake_and_views, "select ['a', 'b'] as names", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == [{"names": ["a", "b"]}]
