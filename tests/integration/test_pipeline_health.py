"""Pipeline health end to end on a tiny lake: treatments_to_silver quarantines two of five
treatment records of a DynamoDB export, writes its run report, the report is uploaded to (moto's) quarantine bucket, the health
Lambda is invoked with the S3 event and the notice names the table, the rule and the counts;
then the lake's raw files are uploaded and the freshness check names the sources that never
landed."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from moto import mock_aws

from carelake.config import Lake
from carelake.runner import run_jobs
from tests.lambdas.lambda_testkit import (
    FakeContext,
    client,
    drain_notifications,
    load_handler,
    subscribe_queue,
)

pytestmark = [pytest.mark.spark, pytest.mark.integration]

DT = "2024-03-02"
QUARANTINE, RAW = "carelake-test-quarantine", "carelake-test-raw"
EXPORT_ID = "01709337600000-abcd1234"  # exported 2024-03-02T00:00:00Z


def item(treatment_id: str, **changes: str) -> dict:
    """One DynamoDB export line (docs/data-contracts.md, "Treatment record")."""
    values = {
        "treatment_id": treatment_id, "patient_id": "MRN-1", "provider_npi": "1234567893", "provider_name": "Dr A",
        "specialty": "Cardiology", "city": "Boston", "state": "MA", "disease": "Hypertension",
        "treatment_type": "Medication", "outcome_status": "success", "treatment_date": "2024-03-01",
        "metadata_modified_at": "2024-03-01T10:00:00Z", **changes,
    }  # fmt: skip
    attributes = {name: {"S": value} for name, value in values.items()}
    attributes["cost"] = {"N": changes.get("cost", "125.00")}
    return {"Item": attributes}


ITEMS = [
    item("t-1"),
    item("t-2"),
    item("t-3"),
    item("t-4", outcome_status="cured-ish"),  # not an outcome of the contract
    item("t-5", cost="12,50"),  # not a number
]
SOURCES = {
    "treatments": {"prefix": "treatments/", "max_age_hours": 26},
    "ehr_fhir": {"prefix": "ehr/fhir/", "max_age_hours": 26},
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory, spark) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("health_lake"))
    land_export(lake.zone("raw") / "treatments" / f"dt={DT}" / "AWSDynamoDB" / EXPORT_ID, ITEMS)
    run_jobs(lake, DT, only=["treatments_to_silver"])
    return lake


def land_export(root: Path, items: list[dict]) -> None:
    """A DynamoDB export as it lands (docs/data-contracts.md): data file, file manifest, summary."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "part-1.json.gz").write_bytes(
        gzip.compress("".join(json.dumps(i) + "\n" for i in items).encode("utf-8"), mtime=0)
    )
    data_key = f"AWSDynamoDB/{EXPORT_ID}/data/part-1.json.gz"
    (root / "manifest-files.json").write_text(
        json.dumps({"itemCount": len(items), "dataFileS3Key": data_key}) + "\n"
    )
    summary = {"exportTime": "2024-03-02T00:00:00Z", "itemCount": len(items), "outputFormat": "DYNAMODB_JSON",
               "manifestFilesS3Key": f"AWSDynamoDB/{EXPORT_ID}/manifest-files.json"}  # fmt: skip
    (root / "manifest-summary.json").write_text(json.dumps(summary))


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3, sns, sqs = client("s3"), client("sns"), client("sqs")
        for bucket in (QUARANTINE, RAW):
            s3.create_bucket(Bucket=bucket)
        topic = sns.create_topic(Name="carelake-test-pipeline-failures")["TopicArn"]
        queue = subscribe_queue(sns, sqs, topic, "platform")
        env = {
            "TOPIC_ARN": topic,
            "RUNBOOK_BASE_URL": "https://example.org/runbook.md",
            "REPORT_BUCKET": QUARANTINE,
            "RAW_BUCKET": RAW,
            "SOURCES": json.dumps(SOURCES),
            "QUARANTINE_RATE_THRESHOLD": "0.01",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield s3, lambda: [json.loads(n["Message"]) for n in drain_notifications(sqs, queue)]


def upload(s3, bucket: str, root: Path, prefix: str) -> list[str]:
    keys = []
    for path in sorted((root / prefix).rglob("*")):
        if path.is_file() and not path.name.startswith("."):  # Hadoop's local .crc files
            key = path.relative_to(root).as_posix()
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            keys.append(key)
    return keys


def test_the_run_report_names_tables_rules_and_counts_without_values(lake):
    [path] = (lake.zone("quarantine") / "run_report" / "job=treatments_to_silver" / f"dt={DT}").glob("*.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert list(report) == ["job", "run_id", "batch", "commit_seq", "started_at", "finished_at", "rows_read",
                            "rows_written", "rows_quarantined", "rows_deduplicated", "quarantined_by_reason",
                            "dq_issues", "metrics"]  # fmt: skip
    assert (report["job"], report["batch"], report["run_id"]) == ("treatments_to_silver", DT, path.stem)
    assert report["rows_read"] == 5 and report["rows_quarantined"] == {"fct_treatment": 2}
    assert report["rows_written"] == {"fct_treatment": 3}
    assert report["quarantined_by_reason"] == {
        "invalid DynamoDB JSON in attribute cost: N '…' is not a number": 1,
        "unknown outcome_status '…'": 1,
    }
    assert report["dq_issues"] == []
    assert "cured-ish" not in path.read_text() and "12,50" not in path.read_text()


def test_the_health_lambda_turns_the_report_into_one_notice(lake, aws):
    s3, notices = aws
    health = load_handler("pipeline_health")
    [key] = upload(s3, QUARANTINE, lake.zone("quarantine"), "run_report")

    event = {"source": "aws.s3", "detail-type": "Object Created",
             "detail": {"bucket": {"name": QUARANTINE}, "object": {"key": key}}}  # fmt: skip
    result = health.handler(event, FakeContext())

    assert result["problems"] == 1
    [message] = notices()
    assert message["problems"] == [
        {"table": "fct_treatment", "rule": "quarantine_rate", "quarantined": 2, "written": 3, "rate": 0.4,
         "threshold": 0.01},
    ]  # fmt: skip
    assert (message["job"], message["batch"]) == ("treatments_to_silver", DT)
    assert message["quarantined_by_reason"]["unknown outcome_status '…'"] == 1


def test_the_freshness_check_names_the_source_that_never_landed(lake, aws):
    s3, notices = aws
    health = load_handler("pipeline_health")
    upload(s3, RAW, lake.zone("raw"), "treatments")
    now = datetime.now(UTC)

    assert health.handler({"check": "freshness"}, FakeContext())["late_sources"] == ["ehr_fhir"]
    settings = health.Settings.from_env()
    later = health.check_freshness(settings, s3=s3, sns=client("sns"), now=now + timedelta(hours=27))
    assert later["late_sources"] == ["ehr_fhir", "treatments"]
    first, second = notices()
    assert [s["source"] for s in first["late_sources"]] == ["ehr_fhir"]
    assert [s["source"] for s in second["late_sources"]] == ["ehr_fhir", "treatments"]
