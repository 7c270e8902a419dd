"""make bench: the pipeline's speed, memory and AWS cost, side by side with references.

Speed targets live here, not in tests: this prints the numbers (and exits non-zero only
when a run fails), so a slow machine never fails the test suite. Every ratio is measured in
this one run, on the same input and the same Spark session, because the machines are noisy.

What it measures (figures: README, "Speed and cost, as measured"; docs/runbook.md, "Daily run, backfill, full rebuild"):

1. The FHIR floor: a bare Spark flattening of the generated bundles (an explicit schema in
   which ``entry.resource`` is a string, explode, ``get_json_object`` for type, id,
   lastUpdated, subject, encounter and first code, one Parquet write partitioned by type),
   run before and after raw_to_bronze (the faster of the two counts); raw_to_bronze on the
   same bundles alone; their ratio. DuckDB doing the same flattening, as information.
2. The whole pipeline, raw to gold, at ``--patients``: every job's time, the total and its
   ratio to the floor; peak memory (PSS) of this process, the Spark JVM and the Python workers.
3. An incremental day on top of it: 1 % new patients (every source) and 1 % of the patients
   updated (a newer version of their Patient resource); its time and its ratio to the full run.
4. Scaling: the whole pipeline again at ``--scale-patients`` in a fresh lake.
5. An AWS cost estimate per run: Glue DPU-hours at the manifest's worker sizing (each job's
   local time taken as its Glue run time, Glue's one-minute minimum), and the bytes Athena
   would scan for the dashboard's queries (the Parquet column chunks of the columns each
   query names, in the tables it reads), after the full run (one day of history) and after
   the incremental day (two): bytes per query should stay flat as history grows.

The same figures go to ``build/bench/<UTC time>.json`` for comparisons over time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pyarrow.parquet as pq
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from sqlglot import exp

from carelake import registry
from carelake.config import Lake
from carelake.dashboard.charts import CHARTS
from carelake.generate import generate_population
from carelake.landing import FHIR_FORMATS, LANDING_TO_RAW, land_generated, land_tree
from carelake.manifest import load_manifest
from carelake.query.engine import default_views_dir
from carelake.query.lake import current_tables
from carelake.query.views import load_views
from carelake.runner import JobResult, run_jobs
from carelake.runtime import local_session

GLUE_DPU_HOUR_USD = 0.44  # AWS Glue, us-east-1, Spark jobs
GLUE_MINIMUM_SECONDS = 60  # Glue 5.0 bills at least one minute per run
GLUE_DPUS_PER_WORKER = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}
ATHENA_USD_PER_TB = 5.0
ATHENA_MINIMUM_BYTES = 10 * 2**20  # Athena bills at least 10 MB per query
FIRST_DAY = date(2026, 1, 1)


class PeakMemory:
    """Samples the memory of this process and its children (the Spark JVM, Python workers).

    A sample is the sum of the processes' proportional set sizes (PSS): a page shared by n
    processes counts 1/n in each. Summed RSS counts a shared page once per process: the JVM
    starts helpers with posix_spawn, whose child shares the JVM's pages until it execs, and one
    such moment counted a 2 GB JVM twice; the Python workers share pages with the daemon
    they fork from. The summed RSS at the same sample is kept for comparison."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_bytes = 0
        self.rss_at_peak = 0
        self.jvm_at_peak = 0  # the Spark JVM's share of the peak; the rest is Python
        self.running = ""  # what the pipeline is doing (the job), set by the caller
        self.running_at_peak = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            pss = rss = jvm = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    memory = process.memory_full_info()
                    is_jvm = process.name() == "java"
                except psutil.Error:
                    continue
                pss, rss = pss + memory.pss, rss + memory.rss
                jvm += memory.pss if is_jvm else 0
            if pss > self.peak_bytes:
                self.peak_bytes, self.rss_at_peak, self.jvm_at_peak = pss, rss, jvm
                self.running_at_peak = self.running
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


# --- references --------------------------------------------------------------------------------


def spark_flatten(spark: SparkSession, bundles: Path, out: Path) -> int:
    """The floor: Spark's own flattening of the bundles; returns the resources written."""
    entries = spark.read.schema("entry array<struct<resource:string>>").json(str(bundles), multiLine=True)
    resource = F.col("resource")
    flat = entries.select(F.explode("entry.resource").alias("resource")).select(
        F.get_json_object(resource, "$.resourceType").alias("type"),
        F.get_json_object(resource, "$.id").alias("id"),
        F.get_json_object(resource, "$.meta.lastUpdated").alias("last_updated"),
        F.get_json_object(resource, "$.subject.reference").alias("subject"),
        F.get_json_object(resource, "$.encounter.reference").alias("encounter"),
        F.get_json_object(resource, "$.code.coding[0].code").alias("code"),
        resource,
    )
    flat.write.mode("overwrite").partitionBy("type").parquet(str(out))
    return spark.read.parquet(str(out)).count()


def duckdb_flatten(bundles: Path, out: Path) -> int:
    """The same flattening in DuckDB (2 threads), for information; returns the resources written."""
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    # DuckDB sizes its read buffers by maximum_object_size: the largest bundle, not a fixed 1 GiB
    # (which asked for 2 GiB per thread and ran out of memory).
    largest = max(p.stat().st_size for p in bundles.glob("*.json"))
    source = (
        f"read_json('{bundles}/*.json', columns = {{'entry': 'STRUCT(resource JSON)[]'}}, "
        f"format = 'auto', maximum_object_size = {max(largest + 1, 16 << 20)})"
    )
    con.execute(
        f"""COPY (
            SELECT r ->> '$.resourceType' AS type, r ->> '$.id' AS id, r ->> '$.meta.lastUpdated' AS last_updated,
                   r ->> '$.subject.reference' AS subject, r ->> '$.encounter.reference' AS encounter,
                   r ->> '$.code.coding[0].code' AS code, r::VARCHAR AS resource
            FROM (SELECT unnest(entry).resource AS r FROM {source})
        ) TO '{out}' (FORMAT PARQUET, PARTITION_BY (type), OVERWRITE_OR_IGNORE)"""
    )
    (count,) = con.execute(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')").fetchone()
    con.close()
    return int(count)


def timed_duckdb_flatten(bundles: Path, out: Path) -> tuple[float, int]:
    return timed(lambda: duckdb_flatten(bundles, out))


# --- the pipeline ------------------------------------------------------------------------------


@dataclass
class PipelineRun:
    seconds: float
    peak_bytes: int  # summed PSS (PeakMemory)
    rss_at_peak: int
    jvm_at_peak: int
    job_at_peak: str
    jobs: list[JobResult] = field(default_factory=list)

    def memory(self) -> str:
        return (
            f"{mib(self.peak_bytes)} in {self.job_at_peak} (JVM {mib(self.jvm_at_peak)}, "
            f"Python {mib(self.peak_bytes - self.jvm_at_peak)}; summed RSS at that moment {mib(self.rss_at_peak)})"
        )

    def job_seconds(self) -> dict[str, float]:
        return {r.job: round(r.seconds, 1) for r in self.jobs}


def run_pipeline(lake: Lake, day: date) -> PipelineRun:
    order = [job.name for job in load_manifest().ordered()]
    following = dict(zip(order, [*order[1:], "the end"], strict=True))

    def next_job(done: JobResult) -> None:
        memory.running = following[done.job]

    with PeakMemory() as memory:
        memory.running = order[0]
        seconds, results = timed(lambda: run_jobs(lake, day.isoformat(), on_done=next_job))
    return PipelineRun(
        seconds, memory.peak_bytes, memory.rss_at_peak, memory.jvm_at_peak, memory.running_at_peak, results
    )


def in_own_process(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` in a fresh process: what it allocates (the generator's
    population, DuckDB's buffers) is returned to the system, not counted in the pipeline's peak."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args, **kwargs).result()


def land_population(landing: Path, lake: Lake, day: date, batch: str) -> None:
    land_generated(landing, lake, day.isoformat(), batch)


def updated_patients(bundles: Path, share: float, out: Path) -> int:
    """A newer version of the Patient resource of ``share`` of the bundles (new telecom, a
    day's newer meta.lastUpdated), as one NDJSON file; returns how many."""
    files = sorted(p for p in bundles.glob("*.json") if not p.name.startswith(("hospital", "practitioner")))
    chosen = files[:: max(1, round(1 / share))]
    lines = []
    for path in chosen:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        updated = datetime.fromisoformat(patient["meta"]["lastUpdated"].replace("Z", "+00:00")) + timedelta(
            days=1
        )
        patient["meta"]["lastUpdated"] = updated.isoformat().replace("+00:00", "Z")
        patient["telecom"] = [{"system": "phone", "value": "555-010-0000", "use": "home"}]
        lines.append(json.dumps(patient))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


# --- AWS cost ----------------------------------------------------------------------------------


def glue_cost(run: PipelineRun) -> dict[str, Any]:
    """DPU-hours and USD of the run's jobs on Glue at the manifest's sizing."""
    jobs = load_manifest().jobs
    dpu_hours = 0.0
    for result in run.jobs:
        sizing = jobs[result.job].glue
        dpus = GLUE_DPUS_PER_WORKER[sizing["worker_type"]] * int(sizing["number_of_workers"])
        dpu_hours += dpus * max(result.seconds, GLUE_MINIMUM_SECONDS) / 3600
    return {"dpu_hours": round(dpu_hours, 4), "usd": round(dpu_hours * GLUE_DPU_HOUR_USD, 4)}


def _column_bytes(files: tuple[str, ...]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for path in files:
        metadata = pq.ParquetFile(path).metadata
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            for column in range(row_group.num_columns):
                chunk = row_group.column(column)
                name = chunk.path_in_schema.split(".")[0]
                sizes[name] = sizes.get(name, 0) + chunk.total_compressed_size
    return sizes


def athena_scan(lake: Lake) -> dict[str, Any]:
    """Bytes Athena would scan for each dashboard query: in each table the query reads
    (through its views), the column chunks of the columns the queries name."""
    views = {v.qualified_name: v for v in load_views(default_views_dir(), "gold")[0]}
    tables = {
        f"{t.zone}.{t.name}": t
        for t in current_tables(lake.root, registry.tables(), load_manifest().writers())
    }
    bytes_of = {name: _column_bytes(t.files) for name, t in tables.items()}

    def reads(name: str) -> tuple[set[str], set[str], bool]:
        """(tables, column names, selects *) the view or table reads, through views."""
        if name not in views:
            return ({name} if name in tables else set()), set(), False
        view = views[name]
        found_tables: set[str] = set()
        columns = {c.name for c in view.body.find_all(exp.Column)}
        star = any(True for _ in view.body.find_all(exp.Star))
        for dependency in view.dependencies:
            t, c, s = reads(dependency)
            found_tables |= t
            columns |= c
            star = star or s
        return found_tables, columns, star

    per_query = {}
    for chart in CHARTS:
        name = chart.source if "." in chart.source else f"gold.{chart.source}"
        read_tables, columns, star = reads(name)
        scanned = sum(
            size
            for table in read_tables
            for column, size in bytes_of[table].items()
            if star or column in columns
        )
        per_query[chart.chart_id] = {"source": chart.source, "tables": sorted(read_tables), "bytes": scanned}
    billed = sum(max(q["bytes"], ATHENA_MINIMUM_BYTES) for q in per_query.values())
    return {
        "queries": per_query,
        "bytes": sum(q["bytes"] for q in per_query.values()),
        "usd_per_refresh": round(billed / 1e12 * ATHENA_USD_PER_TB, 6),
    }


# --- the run -----------------------------------------------------------------------------------


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def whole_pipeline(work: Path, patients: int, seed: int) -> tuple[Lake, Path, PipelineRun]:
    landing = work / f"landing-{patients}"
    in_own_process(generate_population, landing, patients=patients, seed=seed)
    lake = Lake(work / f"lake-{patients}")
    land_population(landing, lake, FIRST_DAY, "day1")
    return lake, landing, run_pipeline(lake, FIRST_DAY)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument(
        "--scale-patients", type=int, default=4000, help="second size for the scaling line (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("build/bench"), help="folder of the JSON reports")
    parser.add_argument("--keep", action="store_true", help="keep the temporary lakes for inspection")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="carelake-bench-"))
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "patients": args.patients,
    }
    try:
        session_seconds, spark = timed(local_session)
        report["spark_start_seconds"] = round(session_seconds, 1)

        # 1. the FHIR floor
        floor_landing = work / "floor-landing"
        in_own_process(generate_population, floor_landing, patients=args.patients, seed=args.seed)
        bundles = floor_landing / "fhir" / "bundles"
        input_bytes = sum(p.stat().st_size for p in bundles.glob("*.json"))
        first_floor, resources = timed(lambda: spark_flatten(spark, bundles, work / "floor-1"))
        fhir_lake = Lake(work / "fhir-lake")
        # The bundles alone, so that raw_to_bronze reads exactly what the flattening reads.
        land_tree(bundles, fhir_lake, LANDING_TO_RAW[FHIR_FORMATS["bundles"]], FIRST_DAY.isoformat(), "bench")
        bronze_seconds, (bronze,) = timed(
            lambda: run_jobs(fhir_lake, FIRST_DAY.isoformat(), only=["raw_to_bronze"])
        )
        second_floor, _ = timed(lambda: spark_flatten(spark, bundles, work / "floor-2"))
        floor = min(first_floor, second_floor)
        duck_seconds, duck_resources = in_own_process(timed_duckdb_flatten, bundles, work / "floor-duckdb")
        fhir_rows = sum(n for table, n in bronze.counts.written.items() if table.startswith("fhir_"))
        report["fhir"] = {
            "bundles": len(list(bundles.glob("*.json"))),
            "input_bytes": input_bytes,
            "resources": resources,
            "spark_flatten_seconds": [round(first_floor, 1), round(second_floor, 1)],
            "raw_to_bronze_seconds": round(bronze_seconds, 1),
            "raw_to_bronze_fhir_rows": fhir_rows,
            "raw_to_bronze_quarantined": bronze.counts.rows_quarantined,
            "ratio_raw_to_bronze_to_floor": round(bronze_seconds / floor, 2),
            "duckdb_seconds": round(duck_seconds, 1),
            "duckdb_resources": duck_resources,
        }
        print(
            f"machine                       {report['machine']['cpus']} CPUs, {report['machine']['memory_gib']} GiB; "
            f"Spark session start {session_seconds:.1f} s"
        )
        print(
            f"FHIR input                    {args.patients:,} patients: {report['fhir']['bundles']:,} bundles, "
            f"{input_bytes / 1e6:,.0f} MB, {resources:,} resources"
        )
        print(
            f"bare Spark flattening         {first_floor:.1f} s, {second_floor:.1f} s again "
            f"({resources / floor:,.0f} resources/s at the faster)"
        )
        print(
            f"raw_to_bronze (FHIR only)     {bronze_seconds:.1f} s ({fhir_rows:,} resources to bronze, "
            f"{bronze.counts.rows_quarantined:,} quarantined) = {bronze_seconds / floor:.2f}x the bare flattening"
        )
        print(
            f"DuckDB flattening (info)      {duck_seconds:.1f} s ({duck_resources / duck_seconds:,.0f} resources/s)"
        )

        # 2. the whole pipeline
        lake, landing, full = whole_pipeline(work, args.patients, args.seed)
        report["full"] = {
            "seconds": round(full.seconds, 1),
            "jobs": full.job_seconds(),
            "peak_bytes": full.peak_bytes,
            "rss_at_peak": full.rss_at_peak,
            "jvm_at_peak": full.jvm_at_peak,
            "job_at_peak": full.job_at_peak,
            "rows_read": {r.job: r.counts.rows_read for r in full.jobs},
            "ratio_to_floor": round(full.seconds / floor, 2),
            "glue": glue_cost(full),
        }
        print(
            f"whole pipeline raw->gold      {full.seconds:.1f} s = {full.seconds / floor:.2f}x the bare flattening; "
            + ", ".join(f"{job} {s:.1f} s" for job, s in full.job_seconds().items())
        )
        heap = spark.conf.get("spark.driver.memory")
        report["driver_heap"] = heap
        print(f"peak memory (PSS)             {full.memory()}: driver, JVM ({heap} heap), Python workers")

        athena_one_day = athena_scan(lake)

        # 3. an incremental day
        day2 = FIRST_DAY + timedelta(days=1)
        new_landing = work / "landing-new"
        new_patients = max(1, args.patients // 100)
        in_own_process(generate_population, new_landing, patients=new_patients, seed=args.seed + 1)
        land_population(new_landing, lake, day2, "day2")
        updates = updated_patients(
            landing / "fhir" / "bundles",
            0.01,
            lake.zone("raw") / "ehr" / "fhir" / f"dt={day2.isoformat()}" / "updates" / "Patient.ndjson",
        )
        incremental = run_pipeline(lake, day2)
        report["incremental"] = {
            "new_patients": new_patients,
            "updated_patients": updates,
            "seconds": round(incremental.seconds, 1),
            "jobs": incremental.job_seconds(),
            "rows_read": {r.job: r.counts.rows_read for r in incremental.jobs},
            "peak_bytes": incremental.peak_bytes,
            "rss_at_peak": incremental.rss_at_peak,
            "jvm_at_peak": incremental.jvm_at_peak,
            "job_at_peak": incremental.job_at_peak,
            "ratio_to_full": round(incremental.seconds / full.seconds, 3),
            "glue": glue_cost(incremental),
        }
        print(
            f"incremental day               {new_patients} new + {updates} updated patients: {incremental.seconds:.1f} s "
            f"= {incremental.seconds / full.seconds:.1%} of the full run; "
            + ", ".join(f"{job} {s:.1f} s" for job, s in incremental.job_seconds().items())
        )

        athena = athena_scan(lake)
        report["athena"] = athena
        # A query whose tables are empty on the first day scans nothing: no growth to report.
        growth = {
            chart_id: query["bytes"] / athena_one_day["queries"][chart_id]["bytes"]
            for chart_id, query in athena["queries"].items()
            if athena_one_day["queries"][chart_id]["bytes"]
        }
        most_grown = max(growth, key=growth.get)
        report["athena_history"] = {
            "bytes_one_day": athena_one_day["bytes"],
            "bytes_two_days": athena["bytes"],
            "growth_per_query": {chart_id: round(g, 4) for chart_id, g in growth.items()},
        }
        print(
            f"AWS estimate, full run        Glue {report['full']['glue']['dpu_hours']:.3f} DPU-h = "
            f"${report['full']['glue']['usd']:.2f}"
        )
        print(
            f"AWS estimate, incremental     Glue {report['incremental']['glue']['dpu_hours']:.3f} DPU-h = "
            f"${report['incremental']['glue']['usd']:.2f}"
        )
        print(
            f"AWS estimate, dashboard       Athena {athena['bytes'] / 1e6:,.1f} MB over {len(athena['queries'])} "
            f"queries = ${athena['usd_per_refresh']:.5f} per refresh (10 MB minimum each)"
        )
        print(
            f"Athena as history doubles     {athena_one_day['bytes'] / 1e6:,.2f} MB after one day, "
            f"{athena['bytes'] / 1e6:,.2f} MB after two ({athena['bytes'] / athena_one_day['bytes']:.3f}x, "
            f"with {new_patients} more patients); most grown query {most_grown} {growth[most_grown]:.3f}x "
            f"({len(athena['queries']) - len(growth)} scan nothing on the first day)"
        )

        # 4. scaling
        if args.scale_patients:
            scale_lake, _, scaled = whole_pipeline(work, args.scale_patients, args.seed)
            growth = scaled.seconds / full.seconds
            size = args.scale_patients / args.patients
            scaled_athena = athena_scan(scale_lake)
            report["scaling"] = {
                "patients": args.scale_patients,
                "seconds": round(scaled.seconds, 1),
                "jobs": scaled.job_seconds(),
                "peak_bytes": scaled.peak_bytes,
                "rss_at_peak": scaled.rss_at_peak,
                "jvm_at_peak": scaled.jvm_at_peak,
                "job_at_peak": scaled.job_at_peak,
                "time_growth": round(growth, 2),
                "size_growth": size,
                "athena_bytes": scaled_athena["bytes"],
            }
            print(
                f"scaling                       {args.scale_patients:,} patients: {scaled.seconds:.1f} s = "
                f"{growth:.2f}x the time for {size:.1f}x the patients; peak {scaled.memory()}; "
                f"dashboard scans {scaled_athena['bytes'] / 1e6:,.1f} MB"
            )
    finally:
        report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"bench-{report['started_at'].replace(':', '')}.json"
        path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"report                        {path}")
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
