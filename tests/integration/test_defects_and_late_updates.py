"""Bad input and late data through the jobs.

1. Defect injection: every bad record `carelake generate --defect-rate` lists in
   _report.json is in the quarantine, at its file and line (or bundle entry), with a reason
   that names what is wrong; nothing else is quarantined; every run record balances
   (read = written + quarantined + deduplicated); late updates win in silver.
2. Late-arriving updates: latest-wins by meta.lastUpdated, then landing time, whatever
   order the files arrive in; reprocessing an old dt changes nothing in silver.

Expected values come from the generator's report and from files this test writes,
read back with duckdb through the tables' commits (tests/support/lake.py), never from
carelake's own transforms.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from carelake.config import Lake
from carelake.generate import generate_population
from carelake.landing import land_generated
from carelake.runner import run_jobs
from tests.support.lake import LakeTables

pytestmark = [pytest.mark.spark, pytest.mark.integration]

DT = "2026-06-30"
BATCH = "generated"
# Defects that are valid records: bronze keeps them, silver deduplicates them.
NOT_QUARANTINED = {"duplicate_resource", "late_update"}
# What the quarantine reason must say for each kind of defect (the report gives the values).
REASONS = {
    "malformed_json": lambda d: r"^unparseable JSON",
    "truncated_bundle": lambda d: r"^unparseable JSON",
    "outreach_malformed_json": lambda d: r"^unparseable JSON",
    "missing_id": lambda d: r"^missing id$",
    "missing_resource_type": lambda d: r"^missing resourceType$",
    "entry_without_resource": lambda d: r"^bundle entry without resource$",
    "bad_date": lambda d: rf"^bad date in {re.escape(d['field'])}: '{re.escape(d['value'])}'$",
    "csv_bad_date": lambda d: rf"^column {re.escape(d['column'])}: '{re.escape(d['value'])}' is not of type",
    "csv_wrong_field_count": lambda d: rf"^expected {d['expected_fields']} fields, found {d['fields']}$",
    "missing_member_id": lambda d: r"^column member_id is required$",
    "outreach_invalid_enum": lambda d: rf"^unknown {d['column']} '{re.escape(d['value'])}'$",
}
# the other partner-claims defects: the reason names the column and the value
FIELD_REASON = lambda d: rf"^column {re.escape(d['column'])}: '{re.escape(str(d['value']))}' "  # noqa: E731


def raw_path(defect_path: str) -> str:
    """Where `carelake land` puts a generated file, relative to the raw zone."""
    if defect_path.startswith("claims/"):
        _, partner, name = defect_path.split("/", 2)
        return f"claims/{partner}/dt={DT}/{name}"
    for landing, prefix in (("fhir/bundles/", "ehr/fhir"), ("fhir/ndjson/", "ehr/fhir"), ("csv/", "ehr/csv"),
                            ("care_mgmt/", "care_mgmt")):  # fmt: skip
        if defect_path.startswith(landing):
            return f"{prefix}/dt={DT}/{BATCH}/{defect_path.removeprefix(landing)}"
    raise AssertionError(f"no raw prefix for {defect_path}")


@pytest.fixture(scope="module")
def defects_lake(tmp_path_factory, spark) -> tuple[Lake, list[dict], dict[str, object]]:
    landing = tmp_path_factory.mktemp("landing")
    # seed 4: 15 patients carry every FHIR and CSV defect kind and late MedicationRequest updates
    # (which resources get defects shifts whenever the generator writes more resources)
    report = generate_population(landing, patients=15, seed=4, defect_rate=0.05)
    lake = Lake(tmp_path_factory.mktemp("lake"))
    land_generated(landing, lake, DT, BATCH, ("bundles", "ndjson"))
    results = run_jobs(lake, DT, only=["raw_to_bronze", "claims_to_bronze", "bronze_to_silver"])
    return lake, report.defects, {r.job: r.counts for r in results}


def quarantined(lake: Lake) -> list[tuple]:
    return LakeTables(lake.root).rows(
        "select job, source_file, source_line, source_entry, reason, rule from quarantine.quarantined_record"
    )


def test_every_injected_defect_is_quarantined_with_its_reason(defects_lake):
    lake, defects, _ = defects_lake
    # Contract and parse problems (no plausibility rule): exactly the injected defects.
    rows = [
        r[:5] for r in quarantined(lake) if r[0] in ("raw_to_bronze", "claims_to_bronze") and r[5] is None
    ]
    by_place: dict[tuple, list[str]] = {}
    for _, source_file, line, entry, reason in rows:
        by_place.setdefault((source_file, line, entry), []).append(reason)
    bad = [d for d in defects if d["kind"] not in NOT_QUARANTINED]
    # the population is large enough for every kind of FHIR and CSV defect
    assert {d["kind"] for d in bad} >= {
        k for k in REASONS if not k.startswith(("outreach", "missing_member"))
    }
    for defect in bad:
        source_file = raw_path(defect["path"])
        if "entry" in defect:  # an entry of a bundle file (one record per entry)
            place = (source_file, None, defect["entry"])
        elif defect["kind"] == "truncated_bundle":  # the whole file is one unparseable record
            place = (source_file, None, None)
        else:
            place = (source_file, defect["line"], None)
        reasons = by_place.get(place)
        assert reasons is not None and len(reasons) == 1, (defect, reasons)
        pattern = REASONS.get(defect["kind"], FIELD_REASON)(defect)
        assert re.search(pattern, reasons[0]), (defect, reasons[0])
    # and nothing that was not injected
    assert len(rows) == len(bad)


def test_no_plausibility_rule_fires_on_clean_generated_data(defects_lake):
    lake, _, _ = defects_lake
    implausible = [
        r for r in quarantined(lake) if r[0] in ("raw_to_bronze", "claims_to_bronze") and r[5] is not None
    ]
    assert implausible == []


def test_every_run_record_balances(defects_lake):
    lake, defects, counts = defects_lake
    records = LakeTables(lake.root).rows(
        "select job, rows_read, rows_written, rows_quarantined, rows_deduplicated from quarantine.job_run"
    )
    assert sorted(r[0] for r in records) == ["bronze_to_silver", "claims_to_bronze", "raw_to_bronze"]
    for job, read, written, quarantined_n, deduplicated in records:
        assert read == written + quarantined_n + deduplicated, job
        assert (read, written, quarantined_n) == (
            counts[job].rows_read,
            counts[job].rows_written,
            counts[job].rows_quarantined,
        ), job
    raw = next(r for r in records if r[0] == "raw_to_bronze")
    injected = Counter(d["path"].split("/")[0] for d in defects if d["kind"] not in NOT_QUARANTINED)
    # + the rows a plausibility rule quarantined (none expected: the test above)
    implausible = sum(1 for r in quarantined(lake) if r[0] == "raw_to_bronze" and r[5] is not None)
    assert raw[3] == injected["fhir"] + injected["csv"] + injected["care_mgmt"] + implausible


def test_late_updates_win_in_silver(defects_lake):
    lake, defects, _ = defects_lake
    late = {
        d["id"]: d
        for d in defects
        if d["kind"] == "late_update" and d["resource_type"] == "MedicationRequest"
    }
    assert late, "the population should carry late MedicationRequest updates"
    ids = ", ".join(f"'{i}'" for i in late)
    rows = LakeTables(lake.root).rows(
        "select source_id, status, strftime(meta_last_updated, '%Y-%m-%dT%H:%M:%SZ') "
        f"from silver.fct_medication_request where source_id in ({ids})"
    )
    assert {r[0]: (r[1], r[2]) for r in rows} == {i: (d["value"], d["last_updated"]) for i, d in late.items()}


# ----------------------------------------------------------------------------------
# Late-arriving updates, by hand: three versions of two encounters arriving out of order.
# ----------------------------------------------------------------------------------
def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _write_raw(lake: Lake, dt: str, name: str, text: str, arrived: datetime) -> None:
    path = lake.zone("raw") / "ehr/fhir" / f"dt={dt}" / "feed" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (arrived.timestamp(), arrived.timestamp()))  # landed_at is the file's time, as in S3


def encounter_rows(lake: Lake) -> list[tuple]:
    return LakeTables(lake.root).rows(
        "select * exclude (landed_at) from silver.fct_encounter order by encounter_id"
    )


@pytest.fixture(scope="module")
def late_lake(tmp_path_factory, spark):
    landing = tmp_path_factory.mktemp("late-landing")
    generate_population(landing, patients=2, seed=3)
    bundle_path = sorted((landing / "fhir/bundles").glob("*.json"))[0]
    bundle = json.loads(bundle_path.read_text())
    encounters = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"][:2]
    newer_first, tie = encounters
    day1 = datetime(2026, 6, 1, 6, tzinfo=UTC)
    lake = Lake(tmp_path_factory.mktemp("late-lake"))
    # Each day's file lands, then that day's batch runs (a run takes what landed since the last).
    _write_raw(lake, "2026-06-01", bundle_path.name, bundle_path.read_text(), day1)
    run_jobs(lake, "2026-06-01", only=["raw_to_bronze"])

    def version(resource: dict, last_updated: datetime, end: datetime) -> dict:
        changed = copy.deepcopy(resource)
        changed["meta"]["lastUpdated"] = _iso(last_updated)
        changed["period"]["end"] = _iso(end)
        return changed

    original_updated = _parse(newer_first["meta"]["lastUpdated"])
    original_end = _parse(newer_first["period"]["end"])
    # day 2: a newer version (lastUpdated + 1 day); day 3: an older one (lastUpdated - 1 day) arrives late
    newer = version(newer_first, original_updated + timedelta(days=1), original_end + timedelta(hours=5))
    older = version(newer_first, original_updated - timedelta(days=1), original_end + timedelta(hours=9))
    # the second encounter: same lastUpdated as the bundle's, landed later -> landing time decides
    tie_updated = _parse(tie["meta"]["lastUpdated"])
    same_time = version(tie, tie_updated, _parse(tie["period"]["end"]) + timedelta(hours=2))
    _write_raw(lake, "2026-06-02", "Encounter.ndjson", json.dumps(newer) + "\n" + json.dumps(same_time) + "\n",
               day1 + timedelta(days=1))  # fmt: skip
    run_jobs(lake, "2026-06-02", only=["raw_to_bronze"])
    _write_raw(lake, "2026-06-03", "Encounter.ndjson", json.dumps(older) + "\n", day1 + timedelta(days=2))
    run_jobs(lake, "2026-06-03", only=["raw_to_bronze"])
    # Each batch took exactly its day's file (the ledger), into the bronze partition of its batch.
    ledger = LakeTables(lake.root).rows(
        "select dt, object_key from quarantine.raw_object where job = 'raw_to_bronze'"
    )
    assert [(dt, key.rsplit("/", 1)[-1]) for dt, key in ledger] == [
        ("2026-06-01", bundle_path.name), ("2026-06-02", "Encounter.ndjson"), ("2026-06-03", "Encounter.ndjson"),
    ]  # fmt: skip
    results = run_jobs(lake, "2026-06-03", only=["bronze_to_silver"])
    return lake, {"newer": newer, "tie": same_time}, results[0].counts


@pytest.mark.extended  # late_lake costs three minutes; make test-all runs it
def test_the_newest_version_wins_whatever_the_arrival_order(late_lake):
    lake, expected, counts = late_lake
    got = LakeTables(lake.root).rows(
        "select encounter_id, strftime(end_at, '%Y-%m-%dT%H:%M:%SZ'), strftime(meta_last_updated, '%Y-%m-%dT%H:%M:%SZ') "
        f"from silver.fct_encounter where encounter_id in ('{expected['newer']['id']}', '{expected['tie']['id']}')"
    )
    assert sorted(got) == sorted(
        (r["id"], _iso(_parse(r["period"]["end"])), _iso(_parse(r["meta"]["lastUpdated"])))
        for r in expected.values()
    )
    # three versions of the first encounter and two of the second: three replaced in silver's state
    assert counts.deduplicated["state_encounter"] == 3


@pytest.mark.extended  # late_lake costs three minutes; make test-all runs it
def test_reprocessing_an_old_dt_does_not_overwrite_newer_data(late_lake):
    lake, _, _ = late_lake
    before = encounter_rows(lake)
    # A rerun of batch 2026-06-01 reprocesses exactly the objects its ledger lists.
    [result] = run_jobs(lake, "2026-06-01", only=["raw_to_bronze"])
    assert result.counts.metrics["raw_objects"] == 1 and result.counts.metrics["raw_objects_new"] == 0
    # silver then takes the reprocessed bronze in a rerun of its latest batch (a merging job
    # does not rerun a batch older than its latest: carelake.pipeline.job.OlderBatch)
    run_jobs(lake, "2026-06-03", only=["bronze_to_silver"])
    assert encounter_rows(lake) == before
