"""Console output for local runs: per-job counts, tables, timings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from carelake.runner import JobResult

console = Console()


def print_job_result(result: JobResult) -> None:
    counts = result.counts
    console.print(
        f"[bold]{result.job}[/bold]: read {counts.rows_read:,}, written {counts.rows_written:,}, "
        f"quarantined {counts.rows_quarantined:,} in {result.seconds:.1f}s"
    )
    table = Table("table", "rows written", "rows quarantined", show_edge=False, pad_edge=False)
    for name in sorted(set(counts.written) | set(counts.quarantined)):
        written, quarantined = counts.written.get(name, 0), counts.quarantined.get(name, 0)
        if written or quarantined:
            table.add_row(name, f"{written:,}", f"{quarantined:,}")
    console.print(table)
