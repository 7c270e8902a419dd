"""The ``carelake`` command line: generate data, land it, run the jobs, query the lake."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="carelake: a HIPAA-aligned healthcare lakehouse, runnable on one laptop.",
    no_args_is_help=True,
    add_completion=False,
)

LakeOption = Annotated[Path, typer.Option("--lake", help="Root folder of the local lake (one folder per zone).")]
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
        float, typer.Option("--readmission-rate", min=0.0, max=1.0, help="Share of inpatient stays followed by a readmission.")
    ] = 0.15,
    defect_rate: Annotated[
        float, typer.Option("--defect-rate", min=0.0, max=1.0, help="Share of records with an injected defect (0 = clean).")
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


if __name__ == "__main__":  # pragma: no cover
    app()
