"""make bench: generator and raw_to_bronze throughput, and peak memory, at a patient count.

Speed targets live here, not in tests: this prints the numbers (and exits non-zero only
when a run fails), so a slow machine never fails the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psutil

from carelake.config import Lake
from carelake.generate import generate_population
from carelake.landing import land_generated
from carelake.runner import run_jobs


class PeakMemory:
    """Samples the resident memory of this process and its children (the Spark JVM)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fhir", choices=["bundles", "ndjson"], default="bundles")
    parser.add_argument("--keep", action="store_true", help="keep the temporary lake for inspection")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="carelake-bench-"))
    try:
        started = time.perf_counter()
        generate_population(work / "landing", patients=args.patients, seed=args.seed)
        generate_seconds = time.perf_counter() - started
        lake = Lake(work / "lake")
        dt = "2026-01-01"
        land_generated(work / "landing", lake, dt, "bench", (args.fhir,))
        with PeakMemory() as memory:
            started = time.perf_counter()
            [result] = run_jobs(lake, dt, only=["raw_to_bronze"])
            bronze_seconds = time.perf_counter() - started
        fhir_rows = sum(n for table, n in result.counts.written.items() if table.startswith("fhir_"))
        print(f"patients                     {args.patients:,}")
        print(
            f"generator                    {generate_seconds:.1f} s = {args.patients / generate_seconds * 60:,.0f} patients/minute"
        )
        print(
            f"raw_to_bronze input          {args.fhir}; {result.counts.rows_read:,} records ({fhir_rows:,} FHIR resources)"
        )
        print(f"raw_to_bronze time           {bronze_seconds:.1f} s (includes Spark start-up)")
        print(f"raw_to_bronze throughput     {fhir_rows / bronze_seconds:,.0f} FHIR resources/s, "
              f"{result.counts.rows_read / bronze_seconds:,.0f} records/s")  # fmt: skip
        print(f"peak memory (driver + JVM)   {memory.peak_bytes / 2**20:,.0f} MiB")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
