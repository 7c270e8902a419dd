"""The ``carelake`` command line: generate data, land it, run the jobs, query the lake."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from carelake.manifest import Manifest

# Plain click help (rich_markup_mode=None): typer's rich panels print every option with a
# type, so a flag such as --show-sql read "--show-sql <bool>" as if it took a value.
app = typer.Typer(
    help="carelake: a HIPAA-aligned healthcare lakehouse, runnable on one laptop.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

LakeOption = Annotated[
    Path, typer.Option("--lake", help="Root folder of the local lake (one folder per zone).")
]
DtOption = Annotated[str, typer.Option("--dt", help="Partition date YYYY-MM-DD, or 'today' (UTC).")]


@app.callback()
def main() -> None:
    """carelake: a HIPAA-aligned healthcare lakehouse, runnable on one laptop."""


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the landing files into.")],
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of patients.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same files.")] = 42,
    readmission_rate: Annotated[
        float,
        typer.Option(
            "--readmission-rate", min=0.0, max=1.0, help="Share of inpatient stays followed by a readmission."
        ),
    ] = 0.15,
    defect_rate: Annotated[
        float,
        typer.Option(
            "--defect-rate", min=0.0, max=1.0, help="Share of records with an injected defect (0 = clean)."
        ),
    ] = 0.0,
) -> None:
    """Generate Synthea-shaped FHIR, CSV, partner claims, outreach and treatment data."""
    from carelake.generate import generate_population
    from carelake.progress import progress_callback

    with progress_callback("generating patients", total=patients) as advance:
        report = generate_population(
            out,
            patients=patients,
            seed=seed,
            readmission_rate=readmission_rate,
            defect_rate=defect_rate,
            progress=advance,
        )
    typer.echo(report.summary())


@app.command()
def land(
    source: Annotated[Path, typer.Option("--source", help="A folder written by carelake generate.")],
    batch: Annotated[
        str, typer.Option("--batch", help="Subfolder name under each raw dt partition.")
    ] = "generated",
    fhir: Annotated[
        list[str], typer.Option("--fhir", help="FHIR format(s) to land: bundles, ndjson (repeatable).")
    ] = ["bundles"],  # noqa: B006 - typer needs a list default
    lake: LakeOption = Path("lake"),
    dt: DtOption = "today",
) -> None:
    """Copy generated files into the lake's raw zone, as the sources would land them."""
    from carelake.config import Lake, resolve_dt
    from carelake.landing import land_generated

    copied = land_generated(source, Lake(lake), resolve_dt(dt), batch, tuple(fhir))
    for prefix, count in sorted(copied.items()):
        typer.echo(f"raw/{prefix}: {count} files landed")


RUNBOOK = "docs/runbook.md"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


@app.command()
def run(
    lake: LakeOption = Path("lake"),
    dt: DtOption = "today",
    job: Annotated[list[str] | None, typer.Option("--job", help="Run only this job (repeatable).")] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", help="Jobs that merge batches start from scratch and read all of their input."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the full traceback when a job fails.")
    ] = False,
) -> None:
    """Run the manifest's jobs in workflow order over the local lake; print counts and time.

    An unknown job or a failing job is reported in one line with what to do next (exit 1);
    --debug adds the traceback."""
    from carelake.config import Lake, resolve_dt
    from carelake.manifest import load_manifest
    from carelake.reporting import print_job_result
    from carelake.runner import JobResult, run_jobs

    try:
        dt = resolve_dt(dt)
    except ValueError as error:
        typer.echo(f"error: --dt: {error}", err=True)
        raise typer.Exit(2) from None
    manifest = load_manifest()
    finished: list[str] = []

    def done(result: JobResult) -> None:
        finished.append(result.job)
        print_job_result(result)

    try:
        run_jobs(
            Lake(lake),
            dt,
            only=job,
            manifest=manifest,
            overrides={"rebuild": "true"} if rebuild else None,
            on_done=done,
        )
    except ValueError as error:
        if finished or not str(error).startswith("unknown jobs"):
            _report_failed_job(error, manifest, job, finished, debug)
        typer.echo(f"error: {error} (pass one of the manifest's jobs to --job)", err=True)
        raise typer.Exit(2) from None
    except Exception as error:
        _report_failed_job(error, manifest, job, finished, debug)


def _report_failed_job(
    error: Exception, manifest: Manifest, only: list[str] | None, finished: list[str], debug: bool
) -> NoReturn:
    """One line naming the job that failed, its first error line and where to look; the
    traceback only with --debug."""
    if debug:
        raise error
    pending = [j.name for j in manifest.ordered() if (not only or j.name in only) and j.name not in finished]
    failed = pending[0] if pending else "the run"
    typer.echo(
        f"error: job {failed} failed: {_first_line(error)} "
        f"(see {RUNBOOK}#{failed}; rerun with --debug for the traceback)",
        err=True,
    )
    raise typer.Exit(1) from None


@app.command()
def demo(
    lake: LakeOption = Path("lake"),
    patients: Annotated[int, typer.Option("--patients", min=1, help="Patients to generate.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the generated population.")] = 42,
    landing: Annotated[Path, typer.Option("--landing", help="Where generated files are written.")] = Path(
        "build/landing"
    ),
    dashboard_dir: Annotated[
        Path, typer.Option("--dashboard", help="Where the dashboard is written.")
    ] = Path("build/dashboard"),
    fixtures_dir: Annotated[
        Path,
        typer.Option(
            "--fixtures",
            exists=True,
            file_okay=False,
            help="Real Synthea output landed beside the generated data.",
        ),
    ] = Path("tests/fixtures/synthea"),  # the repository's copy (run from its root)
) -> None:
    """Generate data, land it with the real Synthea fixtures, run every job, print counts and KPIs, write the
    analyst and care-team dashboards (HTML and PDF) and print their paths."""
    from rich.console import Console
    from rich.table import Table

    from carelake.config import Lake
    from carelake.dashboard import build_dashboard
    from carelake.demo import Fixtures, fixture_bundle_counts, prepare_lake, write_care_team_assignment
    from carelake.generate import generate_population
    from carelake.generate.settings import DEFAULT_AS_OF
    from carelake.progress import progress_callback
    from carelake.query import LocalQueryEngine
    from carelake.reporting import print_job_result
    from carelake.runner import run_jobs

    console = Console()
    dt = DEFAULT_AS_OF.isoformat()  # the generated data's as-of date: the demo is the same every day
    with progress_callback("generating patients", total=patients) as advance:
        generate_population(landing, patients=patients, seed=seed, progress=advance)
    fixtures = Fixtures(fixtures_dir)
    copied = prepare_lake(landing, Lake(lake), dt, fixtures)
    console.print(
        f"landed in {lake}/raw (dt={dt}): " + ", ".join(f"{k} {v} files" for k, v in sorted(copied.items()))
    )

    assignment = write_care_team_assignment(Lake(lake))
    results = run_jobs(
        Lake(lake), dt, overrides={"care_team_assignment_uri": str(assignment)}, on_done=print_job_result
    )

    table = Table(
        "resource type", "in the real bundle", "in bronze", title="Real Synthea FHIR bundle in bronze"
    )
    for kind, expected, landed in fixture_bundle_counts(Lake(lake), dt, fixtures):
        table.add_row(kind, str(expected), str(landed), style=None if expected == landed else "bold red")
    console.print(table)
    silver = next(r for r in results if r.job == "bronze_to_silver").counts
    identity = {k.split(":", 1)[1]: v for k, v in silver.metrics.items() if k.startswith("identity:")}
    console.print("identity resolution: " + ", ".join(f"{rule} {n}" for rule, n in identity.items()))

    with LocalQueryEngine(lake) as engine:
        written = build_dashboard(engine, dashboard_dir)
    for page in written.pages:
        console.print(f"[bold]KPIs, {page.page_id} page[/bold]")
        for line in page.kpis:
            console.print(f"  {line}", markup=False)
    for chart in written.empty_charts:  # nothing to show is no error: the page says why
        console.print(f"note: chart {chart.chart_id}: {chart.note}", markup=False)
    for path in written.paths:
        console.print(f"dashboard: {path.resolve()}", markup=False)
    if written.failed_charts:
        names = ", ".join(f"{c.chart_id} ({c.note})" for c in written.failed_charts)
        typer.echo(f"error: dashboard charts whose view failed: {names}", err=True)
        raise typer.Exit(1)


@app.command()
def catalog(
    out: Annotated[Path, typer.Option("--out", help="Where to write the catalog JSON.")] = Path(
        "jobs/catalog.json"
    ),
    doc: Annotated[Path, typer.Option("--doc", help="The document whose table list is regenerated.")] = Path(
        "docs/data-model.md"
    ),
) -> None:
    """Export the table registry (every lake table and raw source) for Terraform's Glue tables,
    and regenerate the data-model document's table list."""
    from carelake import registry

    out.write_text(registry.catalog_json(), encoding="utf-8")
    doc.write_text(registry.with_table_list(doc.read_text(encoding="utf-8")), encoding="utf-8")
    typer.echo(f"wrote {out} and the table list of {doc}")


lake_app = typer.Typer(
    help="The lake's commits: history, rollback, and the ledger of raw objects.", no_args_is_help=True
)
app.add_typer(lake_app, name="lake")
JobOption = Annotated[str, typer.Option("--job", help="A job of the manifest.")]


@lake_app.command("history")
def lake_history(lake: LakeOption = Path("lake"), job: JobOption = "raw_to_bronze") -> None:
    """A job's retained commits, newest last: sequence, batch, kind, rows per table."""
    import json

    from carelake.lake.commits import describe
    from carelake.manifest import load_manifest
    from carelake.query.lake import lake_state

    state = lake_state(lake, load_manifest().writers())
    for commit in state.log(job).history():
        typer.echo(json.dumps(describe(commit)))


@lake_app.command("rollback")
def lake_rollback(
    to: Annotated[int, typer.Option("--to", help="The commit (sequence number) to go back to.")],
    lake: LakeOption = Path("lake"),
    job: JobOption = "silver_to_gold",
    table: Annotated[
        str | None,
        typer.Option("--table", help="Only this table (zone.name); default: every table of the job."),
    ] = None,
) -> None:
    """Make an earlier, retained version current again: a new commit that readers see at once."""
    from carelake.lake.maintenance import rollback
    from carelake.manifest import load_manifest
    from carelake.query.lake import lake_state

    manifest = load_manifest()
    state = lake_state(lake, manifest.writers())
    commit = rollback(state, job, to, table)
    typer.echo(f"{job}: commit {commit.seq} makes {table or 'every table'} as of commit {to} current")
    downstream = [j.name for j in manifest.ordered() if job in j.depends_on]
    if downstream:
        typer.echo(
            f"rebuild what merged the newer rows: carelake run --rebuild --job {' --job '.join(downstream)}"
        )


@lake_app.command("ledger")
def lake_ledger(
    lake: LakeOption = Path("lake"),
    job: Annotated[str | None, typer.Option("--job", help="Only this ingest job.")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="Only this batch (its dt).")] = None,
    key: Annotated[
        str | None, typer.Option("--object", help="Only raw objects whose key contains this.")
    ] = None,
) -> None:
    """The raw objects the committed batches processed: job, batch, key, size, checksum."""
    from carelake.query import LocalQueryEngine

    filters = ["true"]
    if job:
        filters.append(f"job = '{job}'")
    if batch:
        filters.append(f"dt = '{batch}'")
    if key:
        filters.append(f"strpos(object_key, '{key}') > 0")
    sql = (
        "select job, dt as batch, object_key, size, checksum, landed_at, replaced_checksum "
        f"from quarantine.raw_object where {' and '.join(filters)} order by job, dt, object_key"
    )
    with LocalQueryEngine(lake) as engine:
        frame = engine.query(sql)
    typer.echo(frame.to_csv(index=False), nl=False)


@app.command(name="view-columns")
def view_columns(
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON.")] = Path(
        "sql/view_columns.json"
    ),
    views: Annotated[Path, typer.Option("--views", help="Folder of Athena view files.")] = Path("sql/views"),
) -> None:
    """Write every view's columns and Athena types (read by Terraform's QuickSight data sets)."""
    from carelake.query.view_columns import view_columns_json

    out.write_text(view_columns_json(views), encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command()
def query(
    sql: Annotated[
        str | None, typer.Argument(help="A view or table name (e.g. gold.fact_claim) or Athena SQL.")
    ] = None,
    lake: LakeOption = Path("lake"),
    output_format: Annotated[str, typer.Option("--format", help="Output: table, csv or json.")] = "table",
    file: Annotated[Path | None, typer.Option("--file", help="Read the Athena SQL from this file.")] = None,
    show_sql: Annotated[
        bool, typer.Option("--show-sql", help="Print the DuckDB SQL it runs, on stderr.")
    ] = False,
    views: Annotated[
        Path | None, typer.Option("--views", help="Folder of Athena view files (default: sql/views).")
    ] = None,
) -> None:
    """Run a view, or ad-hoc SQL in Athena's dialect, on DuckDB over the local lake."""
    from rich.console import Console

    from carelake.query.console import run_query

    code = run_query(
        sql,
        lake=lake,
        fmt=output_format,
        file=file,
        show_sql=show_sql,
        views=views,
        out=Console(),
        err=Console(stderr=True, soft_wrap=True),
    )
    if code:
        raise typer.Exit(code)


@app.command()
def dashboard(
    lake: LakeOption = Path("lake"),
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the pages (HTML and PDF) and the PNG charts.")
    ] = Path("build/dashboard"),
    views: Annotated[
        Path | None, typer.Option("--views", help="Folder of Athena view files (default: sql/views).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a chart's view failed (for CI).")
    ] = False,
) -> None:
    """Write the analyst and care-team pages (self-contained HTML, PDF, a PNG per chart); print their paths."""
    from carelake.dashboard import build_dashboard
    from carelake.query import LocalQueryEngine, QueryError

    try:
        with LocalQueryEngine(lake, views) as engine:
            written = build_dashboard(engine, out)
    except QueryError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    for chart in written.empty_charts:
        typer.echo(f"note: chart {chart.chart_id} has nothing to show: {chart.note}", err=True)
    for chart in written.failed_charts:
        typer.echo(f"warning: chart {chart.chart_id} failed: {chart.note}", err=True)
    for path in written.paths:
        typer.echo(str(path))
    if strict and written.failed_charts:
        raise typer.Exit(1)


@app.command("hipaa-doc")
def hipaa_doc(
    catalog_path: Annotated[Path, typer.Option("--catalog", help="The controls catalog.")] = Path(
        "docs/hipaa/controls.yaml"
    ),
    out: Annotated[Path, typer.Option("--out", help="The document to write.")] = Path(
        "docs/hipaa-controls.md"
    ),
) -> None:
    """Check the HIPAA controls catalog and write docs/hipaa-controls.md from it."""
    from carelake.compliance.catalog import CatalogError, load_catalog, render_markdown

    try:
        catalog = load_catalog(catalog_path)
    except CatalogError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    out.write_text(render_markdown(catalog), encoding="utf-8")
    typer.echo(f"wrote {out}: {len(catalog.controls)} controls, {len(catalog.specifications)} specifications")


@app.command()
def evidence(
    env: Annotated[str, typer.Option("--env", help="Environment whose account is audited (dev, prod).")],
    region: Annotated[str, typer.Option("--region", help="Region of the platform.")] = "us-east-1",
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS CLI profile (read-only, e.g. the auditor persona).")
    ] = None,
    account_id: Annotated[
        str | None, typer.Option("--account-id", help="Account ID (default: from sts get-caller-identity).")
    ] = None,
    catalog_path: Annotated[Path, typer.Option("--catalog", help="The controls catalog.")] = Path(
        "docs/hipaa/controls.yaml"
    ),
    out: Annotated[Path, typer.Option("--out", help="Folder for the dated report.")] = Path("build/evidence"),
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any check fails or errs.")] = False,
) -> None:
    """Run the catalog's evidence commands read-only against an account; write a dated report."""
    import json

    from carelake.compliance.catalog import load_catalog
    from carelake.compliance.evidence import awscli_runner, collect, context_values, write_report

    run = awscli_runner(profile, region)
    if account_id is None:
        code, stdout, stderr = run(["sts", "get-caller-identity"])
        if code != 0:
            typer.echo(f"error: cannot identify the account: {stderr.strip()}", err=True)
            raise typer.Exit(1)
        account_id = json.loads(stdout)["Account"]
    results = collect(load_catalog(catalog_path), context_values(env, account_id, region), run)
    folder = write_report(results, out, env, account_id, region)
    for status in ("pass", "fail", "error", "recorded"):
        typer.echo(f"{status}: {sum(r.status == status for r in results)}")
    typer.echo(str(folder / "report.md"))
    if strict and any(r.status in ("fail", "error") for r in results):
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
