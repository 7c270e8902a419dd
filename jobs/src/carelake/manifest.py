"""The job manifest (manifest.yaml): the one definition of jobs and workflow order."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

MANIFEST_RESOURCE = "manifest.yaml"


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    entry_point: str
    arguments: tuple[str, ...]
    default_arguments: dict[str, str]
    depends_on: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: dict[str, tuple[str, ...]]
    glue: dict[str, Any]


@dataclass(frozen=True)
class Manifest:
    workflow: dict[str, Any]
    jobs: dict[str, Job]

    def ordered(self) -> list[Job]:
        """Jobs in workflow order: every job after the jobs it depends on (ties by name)."""
        sorter = graphlib.TopologicalSorter({name: set(job.depends_on) for name, job in self.jobs.items()})
        sorter.prepare()
        order: list[Job] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            order.extend(self.jobs[name] for name in ready)
            sorter.done(*ready)
        return order

    def tables(self) -> list[tuple[str, str]]:
        """Every (zone, table) some job writes, sorted."""
        return sorted(
            {(zone, table) for job in self.jobs.values() for zone, ts in job.outputs.items() for table in ts}
        )

    def writers(self) -> dict[str, tuple[str, ...]]:
        """``zone.table`` -> the jobs that write it (several only for the operational tables)."""
        found: dict[str, list[str]] = {}
        for job in self.ordered():
            for zone, tables in job.outputs.items():
                for table in tables:
                    found.setdefault(f"{zone}.{table}", []).append(job.name)
        return {name: tuple(jobs) for name, jobs in sorted(found.items())}


def parse_manifest(raw: dict[str, Any]) -> Manifest:
    """Validate a manifest document and return it typed; raises ValueError on any problem."""
    if raw.get("version") != 1:
        raise ValueError(f"manifest version must be 1, got {raw.get('version')!r}")
    jobs: dict[str, Job] = {}
    for name, spec in (raw.get("jobs") or {}).items():
        missing = {"description", "entry_point", "arguments", "depends_on", "outputs", "glue"} - set(spec)
        if missing:
            raise ValueError(f"job {name}: missing keys {sorted(missing)}")
        expected_entry = f"carelake.entrypoints.{name}"
        if spec["entry_point"] != expected_entry:
            raise ValueError(
                f"job {name}: entry_point must be {expected_entry} (one script per job, named for it)"
            )
        jobs[name] = Job(
            name=name,
            description=spec["description"],
            entry_point=spec["entry_point"],
            arguments=tuple(spec["arguments"]),
            default_arguments={k: str(v) for k, v in (spec.get("default_arguments") or {}).items()},
            depends_on=tuple(spec["depends_on"]),
            inputs=tuple(spec.get("inputs", [])),
            outputs={zone: tuple(tables) for zone, tables in spec["outputs"].items()},
            glue=dict(spec["glue"]),
        )
    for job in jobs.values():
        undeclared = set(job.default_arguments) - set(job.arguments)
        if undeclared:
            raise ValueError(
                f"job {job.name}: default_arguments {sorted(undeclared)} are not in its arguments"
            )
        unknown = set(job.depends_on) - set(jobs)
        if unknown:
            raise ValueError(f"job {job.name}: depends on unknown jobs {sorted(unknown)}")
    manifest = Manifest(workflow=dict(raw["workflow"]), jobs=jobs)
    try:
        manifest.ordered()
    except graphlib.CycleError as exc:
        raise ValueError(f"job dependencies form a cycle: {exc.args[1]}") from exc
    return manifest


def load_manifest() -> Manifest:
    """The manifest shipped inside the carelake package."""
    text = resources.files("carelake").joinpath(MANIFEST_RESOURCE).read_text(encoding="utf-8")
    return parse_manifest(yaml.safe_load(text))
