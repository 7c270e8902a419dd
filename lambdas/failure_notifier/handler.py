"""Pipeline failure notifier: Glue job state change (EventBridge) -> one SNS message.

For FAILED, TIMEOUT and ERROR it publishes job name, run id, state, Glue's error message and a
link to the job's runbook section, <RUNBOOK_BASE_URL>#<job>, where <job> is the Glue job name
without JOB_NAME_PREFIX + "-" (the runbook has a `### <job>` heading per job). SUCCEEDED and
STOPPED (someone stopped it on purpose) are ignored explicitly; so are events of other types.

The error message goes only to the (encrypted) topic, never to this function's log: Spark error
text can quote a row of data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from common import aws
from common.config import require_env
from common.log import error_code, get_logger, request_id

ALERT_STATES = frozenset({"FAILED", "TIMEOUT", "ERROR"})
DETAIL_TYPE = "Glue Job State Change"
MAX_ERROR_CHARS = 4000
SUBJECT_MAX = 100

log = get_logger("failure_notifier")


class MalformedEventError(ValueError):
    """A Glue Job State Change event without the fields every such event has."""


@dataclass(frozen=True)
class Settings:
    topic_arn: str
    runbook_base_url: str
    job_name_prefix: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            topic_arn=require_env("TOPIC_ARN", environ),
            runbook_base_url=require_env("RUNBOOK_BASE_URL", environ),
            job_name_prefix=require_env("JOB_NAME_PREFIX", environ),
        )


def short_job_name(glue_job_name: str, prefix: str) -> str:
    """'carelake-dev-raw_to_bronze' with prefix 'carelake-dev' -> 'raw_to_bronze' (unchanged if
    the name does not carry the prefix)."""
    return glue_job_name.removeprefix(f"{prefix}-") if prefix else glue_job_name


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a markdown heading: lower case, punctuation other than '-' and
    '_' dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def runbook_url(base_url: str, job: str) -> str:
    return f"{base_url.split('#', 1)[0]}#{heading_anchor(job)}"


def subject(state: str, job: str) -> str:
    """SNS subjects: ASCII, no line breaks, at most 100 characters."""
    text = f"carelake Glue job {state}: {job}"
    text = text.encode("ascii", "replace").decode("ascii").replace("\n", " ").replace("\r", " ")
    return text[:SUBJECT_MAX]


def notification(event: Mapping[str, Any], settings: Settings) -> dict[str, Any] | None:
    """The message for a failure event, or None for an event that needs no notice."""
    if event.get("detail-type") != DETAIL_TYPE:
        return None
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise MalformedEventError("the event has no detail object")
    state, job_name = detail.get("state"), detail.get("jobName")
    if not isinstance(state, str) or not isinstance(job_name, str) or not job_name:
        raise MalformedEventError("detail.state and detail.jobName must be strings")
    if state not in ALERT_STATES:  # SUCCEEDED, STOPPED (stopped on purpose), or a future state
        return None
    job = short_job_name(job_name, settings.job_name_prefix)
    error = detail.get("message")
    error = error if isinstance(error, str) and error else "(Glue gave no error message)"
    if len(error) > MAX_ERROR_CHARS:
        error = error[:MAX_ERROR_CHARS] + " [truncated; full text in the Glue run's error log]"
    return {
        "job_name": job_name,
        "job": job,
        "run_id": detail.get("jobRunId"),
        "state": state,
        "severity": detail.get("severity"),
        "error_message": error,
        "runbook_url": runbook_url(settings.runbook_base_url, job),
        "event_time": event.get("time"),
        "account": event.get("account"),
        "region": event.get("region"),
    }


def handle(
    event: Mapping[str, Any], settings: Settings, *, sns: Any, request: str | None = None
) -> dict[str, Any]:
    message = notification(event, settings)
    detail = event.get("detail") if isinstance(event.get("detail"), Mapping) else {}
    if message is None:
        log.info(
            "failure_notifier.ignored",
            detail_type=event.get("detail-type"),
            job_name=detail.get("jobName"),
            state=detail.get("state"),
            request_id=request,
        )
        return {"published": False, "state": detail.get("state")}
    try:
        response = sns.publish(
            TopicArn=settings.topic_arn,
            Subject=subject(message["state"], message["job"]),
            Message=json.dumps(message, indent=2),
            MessageAttributes={
                "job": {"DataType": "String", "StringValue": message["job"]},
                "state": {"DataType": "String", "StringValue": message["state"]},
            },
        )
    except (ClientError, BotoCoreError) as exc:
        log.error(
            "failure_notifier.publish_failed",
            job_name=message["job_name"],
            run_id=message["run_id"],
            aws_error=error_code(exc),
            request_id=request,
        )
        raise
    log.info(
        "failure_notifier.published",
        job_name=message["job_name"],
        run_id=message["run_id"],
        state=message["state"],
        message_id=response.get("MessageId"),
        request_id=request,
    )
    return {"published": True, "message_id": response.get("MessageId"), "runbook_url": message["runbook_url"]}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, Settings.from_env(), sns=aws.client("sns"), request=request_id(context))
