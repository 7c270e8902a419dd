"""Helpers for the Lambda tests: load a handler from lambdas/<name>/handler.py, build events,
read what moto received. Each handler module is loaded under its own name (they are all called
`handler` in their zips), with lambdas/ on sys.path so `common` imports as it does in the zip,
from a folder laid out like its zip's root (lambdas/build_zip.py's handler_entries: the handler
and the contract files beside it)."""

from __future__ import annotations

import atexit
import base64
import functools
import importlib.util
import json
import logging
import re
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
import moto  # noqa: F401  (imported before any session exists, so moto can intercept all clients)

REPO = Path(__file__).resolve().parents[2]
LAMBDAS = REPO / "lambdas"
DATA_CONTRACTS = REPO / "docs" / "data-contracts.md"
REGION = "us-east-1"

if str(LAMBDAS) not in sys.path:
    sys.path.insert(0, str(LAMBDAS))


_session = boto3.session.Session(region_name=REGION)


@functools.cache
def client(service: str) -> Any:
    """A client for test set-up and checks, one per service for the whole run (making clients is
    the slowest part of these tests). moto intercepts every client made after it was imported,
    whichever mock is active, so a client outlives the mocks; a test that registers event hooks
    on one must unregister them."""
    return _session.client(service, region_name=REGION)


def _build_zip() -> ModuleType:
    spec = importlib.util.spec_from_file_location("carelake_build_zip", LAMBDAS / "build_zip.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_zip = _build_zip()
_STAGING = Path(tempfile.mkdtemp(prefix="carelake-lambda-tests-"))
atexit.register(shutil.rmtree, _STAGING, ignore_errors=True)


def staged_handler_dir(name: str) -> Path:
    """A folder with the handler's own files as its zip's root holds them (symlinks to the
    sources, so a test reads exactly what is packaged)."""
    folder = _STAGING / name
    if not folder.is_dir():
        for arcname, source in build_zip.handler_entries(name):
            target = folder / arcname
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    return folder


def load_handler(name: str) -> ModuleType:
    module_name = f"carelake_lambda_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, staged_handler_dir(name) / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


class FakeContext:
    aws_request_id = "req-0001"
    function_name = "test"


# ---------------------------------------------------------------- logs


class LogCapture(logging.Handler):
    """Collects every formatted log line (any logger it is attached to)."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def clear(self) -> None:
        self.lines.clear()


# ---------------------------------------------------------------- API Gateway


def api_event(body: str | None, *, is_base64: bool = False) -> dict[str, Any]:
    """An API Gateway REST API proxy-integration event for POST /outreach."""
    return {
        "resource": "/outreach",
        "path": "/outreach",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "api-req-1", "stage": "test", "httpMethod": "POST"},
        "body": body,
        "isBase64Encoded": is_base64,
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- Kinesis / SNS via SQS


def stream_records(kinesis: Any, stream_name: str) -> list[dict[str, Any]]:
    """Every record on every shard, oldest first per shard."""
    records = []
    shards = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            records.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def subscribe_queue(sns: Any, sqs: Any, topic_arn: str, name: str, filter_policy: dict | None = None) -> str:
    """An SQS queue subscribed to the topic (SNS envelope kept, so Subject and attributes show)."""
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    return queue_url


def drain_notifications(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """All SNS envelopes delivered to the queue so far (each with Subject, Message, attributes)."""
    envelopes = []
    while True:
        page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = page.get("Messages", [])
        if not messages:
            return envelopes
        for message in messages:
            envelopes.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


# ---------------------------------------------------------------- S3 events


def s3_notification(bucket: str, key: str, size: int = 0, event_name: str = "ObjectCreated:Put") -> dict:
    """An S3 event notification as Lambda receives it: the key is URL-encoded (space as '+')."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2024-03-02T10:00:00.000Z",
                "eventName": event_name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key, safe="/"), "size": size},
                },
            }
        ]
    }


def eventbridge_object_created(bucket: str, key: str, size: int = 0) -> dict:
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-03-02T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": quote_plus(key, safe="/"), "size": size, "etag": "x", "sequencer": "1"},
            "request-id": "R1",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


# ---------------------------------------------------------------- docs/data-contracts.md


def contract_section(heading: str) -> str:
    text = DATA_CONTRACTS.read_text(encoding="utf-8")
    start = text.index(f"## {heading}")
    end = text.find("\n## ", start + 3)
    return text[start : end if end > 0 else None]


def partner_claims_columns() -> list[str]:
    """The column names of the partner-claims table in docs/data-contracts.md, in order."""
    columns = []
    for line in contract_section("Partner claims CSV").splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            columns.extend(re.findall(r"`([^`]+)`", first_cell))
    return columns


def outreach_enum(name: str) -> list[str]:
    """The values listed for `name` in the outreach event section: - `name`: `a` | `b` ..."""
    for line in contract_section("Outreach event").splitlines():
        if line.startswith(f"- `{name}`:"):
            return re.findall(r"`([^`]+)`", line.split(":", 1)[1].split(".")[0])
    raise AssertionError(f"no enum line for {name}")
