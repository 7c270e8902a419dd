"""patient_key is a keyed hash: nobody without the secret can recompute it from source ids.

Checked on the real Synthea patients in tests/fixtures (their ids are the EHR source ids the
anchors are made of): the old unkeyed formula, plain hashes of the id and the anchor, and
HMACs with guessable keys reproduce none of the keys; an independent HMAC with the secret
reproduces all of them. The secret never appears in Spark's plans, and the loader refuses
keys it cannot trust.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import random
import uuid

import boto3
import pytest
from moto import mock_aws

from carelake.pseudonym_key import (
    DEVELOPMENT_KEY,
    ENV_VAR,
    PseudonymKey,
    PseudonymKeyError,
    load_pseudonym_key,
)
from tests.paths import CSV_FIXTURE_DIR

SECRET = b"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def fixture_patient_ids() -> list[str]:
    """The real Synthea patients' ids, and 1,000 more in the same (UUID) format."""
    with (CSV_FIXTURE_DIR / "patients.csv").open(newline="", encoding="utf-8") as f:
        real = [row["Id"] for row in csv.DictReader(f)]
    rng = random.Random(14)
    return real + [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(1000)]


@pytest.fixture(scope="module")
def keyed(spark) -> dict[str, str]:
    """anchor -> patient_key, computed by Spark exactly as silver does."""
    anchors = [f"ehr:{i}" for i in fixture_patient_ids()]
    frame = spark.createDataFrame([(a,) for a in anchors], "anchor string")
    key = PseudonymKey(SECRET, "test")
    rows = frame.select("anchor", key.column(frame["anchor"]).alias("patient_key")).collect()
    return {r["anchor"]: r["patient_key"] for r in rows}


def guesses(anchor: str) -> set[str]:
    """Every way someone holding the source ids (but not the secret) might try to rebuild a key."""
    source_id = anchor.split(":", 1)[1]
    candidates = set()
    for text in (anchor, source_id, source_id.lower(), source_id.upper()):
        data = text.encode("utf-8")
        for name in ("sha256", "sha1", "md5", "sha512", "blake2b", "sha3_256"):
            digest = hashlib.new(name, data).hexdigest()
            candidates |= {f"pk-{digest[:16]}", f"pk-{digest[-16:]}"}
        for guessed_key in (b"", b"carelake", b"patient_key", DEVELOPMENT_KEY.encode(), data):
            digest = hmac.new(guessed_key, data, hashlib.sha256).hexdigest()
            candidates.add(f"pk-{digest[:16]}")
    return candidates


@pytest.mark.spark
def test_keys_cannot_be_recomputed_from_source_ids_without_the_secret(keyed: dict[str, str]) -> None:
    assert len(keyed) == len(fixture_patient_ids()) > 1000
    old_formula = {a: "pk-" + hashlib.sha256(a.encode()).hexdigest()[:16] for a in keyed}
    assert sum(keyed[a] == old_formula[a] for a in keyed) == 0
    reproduced = [a for a, k in keyed.items() if k in guesses(a)]
    assert reproduced == []
    assert len(set(keyed.values())) == len(keyed)  # no two patients share a key


@pytest.mark.spark
def test_the_secret_reproduces_every_key(keyed: dict[str, str]) -> None:
    independent = {
        a: "pk-" + hmac.new(SECRET, a.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for a in keyed
    }
    assert keyed == independent
    other = PseudonymKey(b"another-secret-of-at-least-32-bytes!", "test")
    assert all(other.digest(a) != k for a, k in keyed.items())


@pytest.mark.spark
def test_the_secret_is_never_in_a_spark_plan(spark) -> None:
    """explain() text, the Spark UI's SQL tab and Glue's event logs print plans: a literal key
    there would leak it. Checked on every plan stage's string (parsed, analysed, optimised,
    physical) and the formatted physical plan the UI shows."""
    frame = spark.createDataFrame([("ehr:a",), ("ehr:b",)], "anchor string")
    keyed = frame.select(PseudonymKey(SECRET, "test").column(frame["anchor"]).alias("patient_key"))
    keyed.collect()
    execution = keyed._jdf.queryExecution()
    plans = execution.toString() + "".join(
        spark._jvm.PythonSQLUtils.explainString(execution, mode) for mode in ("extended", "formatted", "cost")
    )
    assert "patient_key_hmac" in plans
    for form in (SECRET.decode(), SECRET.hex(), base64.b64encode(SECRET).decode(), SECRET.decode()[:16]):
        assert form not in plans


def test_repr_never_shows_the_secret() -> None:
    key = PseudonymKey(SECRET, "test")
    assert SECRET.decode() not in repr(key) and SECRET.decode() not in str(key)


def test_local_key_comes_from_the_environment_or_is_the_development_key(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    development = load_pseudonym_key("local")
    assert development.is_development and development.secret == DEVELOPMENT_KEY.encode()
    monkeypatch.setenv(ENV_VAR, SECRET.decode())
    from_env = load_pseudonym_key("local")
    assert (from_env.secret, from_env.source) == (SECRET, f"env:{ENV_VAR}")
    assert from_env.digest("ehr:x") != development.digest("ehr:x")


def test_unusable_keys_are_refused_with_the_reason(monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, "too-short")
    with pytest.raises(PseudonymKeyError, match="at least 32"):
        load_pseudonym_key("local")
    with pytest.raises(PseudonymKeyError, match="'local' on AWS Glue"):
        load_pseudonym_key("local", on_glue=True)
    with pytest.raises(PseudonymKeyError, match="empty"):
        load_pseudonym_key("")


@mock_aws
def test_the_key_is_read_from_secrets_manager(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    client = boto3.client("secretsmanager", region_name="us-east-1")
    arn = client.create_secret(Name="carelake-test-patient-key")["ARN"]
    with pytest.raises(PseudonymKeyError, match="no value yet"):
        load_pseudonym_key(arn)
    version = client.put_secret_value(SecretId=arn, SecretString=SECRET.decode())["VersionId"]
    key = load_pseudonym_key(arn)
    assert key.secret == SECRET
    assert key.source == f"secretsmanager:{arn} version {version}"
    with pytest.raises(PseudonymKeyError, match="ResourceNotFoundException"):
        load_pseudonym_key("arn:aws:secretsmanager:us-east-1:123456789012:secret:absent-AbCdEf")
