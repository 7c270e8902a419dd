"""The secret behind ``patient_key``: loading it, and keying patient identities with it.

``patient_key`` is ``pk-`` + the first 16 hex digits of HMAC-SHA256(secret, anchor). Without
the secret nobody can recompute a key from source ids (164.514(c): a re-identification code
must not be derived from information about the individual). The secret lives in AWS
Secrets Manager (KMS-encrypted, readable by the Glue role only); a job names it with its
``patient_key_secret`` argument. Locally the argument is ``local``: the key then comes from
the ``CARELAKE_PATIENT_KEY`` environment variable, or is :data:`DEVELOPMENT_KEY`, which is
printed in this file and so is no secret at all (fine for synthetic data, never for PHI).

The key is kept out of Spark plans: a literal inside a Column expression is printed by
``explain()``, the SQL tab of the Spark UI and the event logs Glue writes. The HMAC runs in an
Arrow-batched pandas UDF whose closure holds the key; plans show only the UDF's name.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass, field

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F

LOCAL = "local"
ENV_VAR = "CARELAKE_PATIENT_KEY"
# Not a secret: it is in the source. Used only for local runs on synthetic data.
DEVELOPMENT_KEY = "carelake-development-key-not-secret-never-use-with-phi"
MIN_SECRET_CHARS = 32  # a 256-bit key as 64 hex digits; 32 characters is the floor we accept
KEY_PREFIX = "pk-"
KEY_HEX_DIGITS = 16

log = logging.getLogger(__name__)


class PseudonymKeyError(RuntimeError):
    """The patient key secret cannot be used (missing, too short, or local on AWS Glue)."""


@dataclass(frozen=True)
class PseudonymKey:
    """The HMAC key. ``repr`` never shows it; ``source`` says where it came from."""

    secret: bytes = field(repr=False)
    source: str  # "secretsmanager:<arn> version <id>", "env:CARELAKE_PATIENT_KEY" or "development"

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_CHARS:
            raise PseudonymKeyError(
                f"the patient key secret from {self.source} has {len(self.secret)} bytes; "
                f"at least {MIN_SECRET_CHARS} are needed (generate 64 hex digits, see docs/runbook.md)"
            )

    @property
    def is_development(self) -> bool:
        return self.source == "development"

    def digest(self, anchor: str) -> str:
        """The patient key of one anchor (``<source>:<source_id>``), in plain Python."""
        mac = hmac.new(self.secret, anchor.encode("utf-8"), hashlib.sha256).hexdigest()
        return KEY_PREFIX + mac[:KEY_HEX_DIGITS]

    def column(self, anchor: Column) -> Column:
        """The patient key of each row's anchor, computed by a pandas UDF (null stays null)."""
        secret = self.secret

        def patient_key_hmac(anchors: pd.Series) -> pd.Series:
            return anchors.map(
                lambda a: (
                    None
                    if a is None
                    else KEY_PREFIX
                    + hmac.new(secret, a.encode("utf-8"), hashlib.sha256).hexdigest()[:KEY_HEX_DIGITS]
                )
            )

        return F.pandas_udf(patient_key_hmac, "string")(anchor)  # type: ignore[call-overload]


def _secret_bytes(text: str) -> bytes:
    return text.strip().encode("utf-8")


def load_pseudonym_key(secret_id: str, *, on_glue: bool = False) -> PseudonymKey:
    """The key a job was told to use: ``local`` or a Secrets Manager secret id or ARN."""
    if not secret_id:
        raise PseudonymKeyError("patient_key_secret is empty: name a Secrets Manager secret, or 'local'")
    if secret_id == LOCAL:
        if on_glue:
            raise PseudonymKeyError(
                "patient_key_secret is 'local' on AWS Glue: Terraform sets the job's --patient_key_secret "
                "to the Secrets Manager secret (module pseudonym_key); local keys are for laptops only"
            )
        value = os.environ.get(ENV_VAR)
        if value:
            return PseudonymKey(_secret_bytes(value), f"env:{ENV_VAR}")
        log.warning("patient_key: using the development key (not secret); set %s for anything else", ENV_VAR)
        return PseudonymKey(DEVELOPMENT_KEY.encode("utf-8"), "development")
    return _from_secrets_manager(secret_id)


def _from_secrets_manager(secret_id: str) -> PseudonymKey:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = _region_of(secret_id)
    client = boto3.client("secretsmanager", **({"region_name": region} if region else {}))
    try:
        answer = client.get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        hint = (
            " (no such secret, or it has no value yet: run `make tf-patient-key` once, docs/runbook.md)"
            if code == "ResourceNotFoundException"
            else ""
        )
        raise PseudonymKeyError(f"cannot read the patient key secret {secret_id}: {code}{hint}") from None
    except BotoCoreError as exc:
        raise PseudonymKeyError(
            f"cannot read the patient key secret {secret_id}: {type(exc).__name__}"
        ) from None
    value = answer.get("SecretString")
    if not value:
        raise PseudonymKeyError(f"the patient key secret {secret_id} has no SecretString")
    return PseudonymKey(
        _secret_bytes(value),
        f"secretsmanager:{answer.get('ARN', secret_id)} version {answer.get('VersionId')}",
    )


def _region_of(secret_id: str) -> str | None:
    match = re.match(r"^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):", secret_id)
    return match.group(1) if match else None
