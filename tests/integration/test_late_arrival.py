"""Arrival-driven input: files that land in an already processed dt folder are not lost.

Batch 1 processes an outreach file and an EHR bundle landed in dt=2026-06-01/. Then a second
outreach file and a second bundle land in that same folder, after its run. The next batch
picks up exactly those two; a third batch finds nothing new; a rerun of the second batch
processes the same two objects again and gives the same rows; an object replaced under
the same key is processed as a new version and reported. Counts are stated by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carelake.config import Lake
from carelake.query import LocalQueryEngine
from carelake.runner import run_jobs

pytestmark = [pytest.mark.spark, pytest.mark.integration]

LANDED_DT = "2026-06-01"


def event(record_id: str) -> str:
    return json.dumps(
        {
            "record_id": record_id,
            "patient_id": "MRN-1",
            "coordinator_id": "cm-1",
            "event_at": "2026-05-31T10:00:00Z",
            "channel": "phone",
            "status": "reached",
            "received_at": "2026-05-31T10:00:02Z",
        }
    )


def bundle(*ids: str) -> str:
    entries = [
        {
            "fullUrl": f"urn:uuid:{i}",
            "resource": {"resourceType": "Patient", "id": i, "birthDate": "1970-01-01"},
        }
        for i in ids
    ]
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def land(lake: Lake, key: str, text: str) -> None:
    path = lake.zone("raw") / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run(lake: Lake, batch: str) -> dict[str, int]:
    (result,) = run_jobs(lake, batch, only=["raw_to_bronze"])
    return result.counts.metrics


def rows_by_batch(lake: Lake) -> dict[str, list[tuple[str, str]]]:
    with LocalQueryEngine(lake.root) as engine:
        frame = engine.query(
            "select dt, id from (select dt, record_id as id from bronze.outreach_event "
            "union all select dt, resource_id as id from bronze.fhir_patient) order by dt, id"
        )
    out: dict[str, list[tuple[str, str]]] = {}
    for dt, rid in frame.itertuples(index=False):
        out.setdefault(dt, []).append(rid)
    return out


def test_late_files_are_picked_up_once(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    land(lake, f"care_mgmt/dt={LANDED_DT}/events-1", event("e1") + "\n")
    land(lake, f"ehr/fhir/dt={LANDED_DT}/bundle-1.json", bundle("p1", "p2"))
    first = run(lake, "2026-06-01")
    assert (first["raw_objects"], first["raw_objects_new"]) == (2, 2)

    # Landed after batch 1's run, in the folder batch 1 already processed.
    land(lake, f"care_mgmt/dt={LANDED_DT}/events-2", event("e2") + "\n" + event("e3") + "\n")
    land(lake, f"ehr/fhir/dt={LANDED_DT}/bundle-2.json", bundle("p3"))
    second = run(lake, "2026-06-02")
    assert (second["raw_objects"], second["raw_objects_new"], second["raw_objects_replaced"]) == (2, 2, 0)
    assert rows_by_batch(lake) == {"2026-06-01": ["e1", "p1", "p2"], "2026-06-02": ["e2", "e3", "p3"]}

    third = run(lake, "2026-06-03")
    assert (third["raw_objects"], third["raw_objects_new"]) == (0, 0)
    assert "2026-06-03" not in rows_by_batch(lake)

    # A rerun of batch 2 processes exactly its two objects again, and nothing else.
    land(lake, f"care_mgmt/dt={LANDED_DT}/events-3", event("e4") + "\n")
    rerun = run(lake, "2026-06-02")
    assert (rerun["raw_objects"], rerun["raw_objects_new"]) == (2, 0)
    assert rows_by_batch(lake)["2026-06-02"] == ["e2", "e3", "p3"]

    # The object that waited goes to the next batch; a replaced object is a new version.
    land(lake, f"care_mgmt/dt={LANDED_DT}/events-1", event("e1") + "\n" + event("e5") + "\n")
    fourth = run(lake, "2026-06-04")
    assert (fourth["raw_objects"], fourth["raw_objects_new"], fourth["raw_objects_replaced"]) == (2, 1, 1)
    assert rows_by_batch(lake)["2026-06-04"] == ["e1", "e4", "e5"]
    with LocalQueryEngine(lake.root) as engine:
        ledger = engine.query(
            "select dt, object_key, replaced_checksum is not null as replaced from quarantine.raw_object order by dt, object_key"
        )
    assert ledger.values.tolist() == [
        ["2026-06-01", f"care_mgmt/dt={LANDED_DT}/events-1", False],
        ["2026-06-01", f"ehr/fhir/dt={LANDED_DT}/bundle-1.json", False],
        ["2026-06-02", f"care_mgmt/dt={LANDED_DT}/events-2", False],
        ["2026-06-02", f"ehr/fhir/dt={LANDED_DT}/bundle-2.json", False],
        ["2026-06-04", f"care_mgmt/dt={LANDED_DT}/events-1", True],
        ["2026-06-04", f"care_mgmt/dt={LANDED_DT}/events-3", False],
    ]
