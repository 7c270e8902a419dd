"""Small files and listings in the lake, the same on a laptop folder and on S3.

Spark reads and writes the data files; this module does what Spark is not needed for:
list raw objects (with size, modification time and checksum), read and write the small
JSON files of the commit log, and delete folders. Two backends behind one interface:
plain paths (or ``file:`` URIs) on the local disk, and ``s3://bucket/prefix`` through
boto3. A write can be *exclusive* (create-only): locally an ``os.link`` of a finished
temporary file, on S3 a conditional PUT (``If-None-Match: *``). That is what makes a
commit atomic and a concurrent second commit of the same number fail instead of win.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse


class AlreadyExists(FileExistsError):
    """An exclusive write found the object already there."""


@dataclass(frozen=True)
class StoredObject:
    """One object (file) under a listed prefix."""

    uri: str
    key: str  # relative to the listed prefix, '/'-separated
    size: int
    modified_at: datetime  # UTC
    etag: str | None  # S3's ETag (quotes removed); None on the local disk


class Storage(Protocol):
    def list(self, uri: str) -> list[StoredObject]: ...

    def read_bytes(self, uri: str) -> bytes: ...

    def write_bytes(self, uri: str, data: bytes, exclusive: bool = False) -> None: ...

    def exists(self, uri: str) -> bool: ...

    def delete(self, uri: str) -> None: ...

    def delete_tree(self, uri: str) -> None: ...

    def child_dirs(self, uri: str) -> list[str]: ...

    def checksum(self, obj: StoredObject) -> str: ...


def join(base: str, *parts: str) -> str:
    """Join URI or path segments with single slashes."""
    out = base.rstrip("/")
    for part in parts:
        if part:
            out = f"{out}/{part.strip('/')}"
    return out


def relative_key(base: str, uri: str) -> str:
    """``uri`` relative to ``base`` (both as this module spells them)."""
    prefix = base.rstrip("/") + "/"
    if not uri.startswith(prefix):
        raise ValueError(f"{uri} is not under {base}")
    return uri[len(prefix) :]


def is_hidden(key: str) -> bool:
    """Hive, Spark and Athena skip names starting with '_' or '.' (``_SUCCESS``, ``.crc``, temp uploads)."""
    return any(part.startswith(("_", ".")) for part in key.split("/"))


class LocalStorage:
    """Plain folders. URIs are paths (``/x/y``) or ``file:`` URIs."""

    @staticmethod
    def _path(uri: str) -> Path:
        return Path(urlparse(uri).path if uri.startswith("file:") else uri)

    def list(self, uri: str) -> list[StoredObject]:
        root = self._path(uri)
        if not root.is_dir():
            return []
        found = []
        for dirpath, _dirnames, filenames in os.walk(root):
            for name in filenames:
                path = Path(dirpath) / name
                stat = path.stat()
                key = path.relative_to(root).as_posix()
                found.append(
                    StoredObject(
                        join(uri, key), key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC), None
                    )
                )
        return sorted(found, key=lambda o: o.key)

    def read_bytes(self, uri: str) -> bytes:
        return self._path(uri).read_bytes()

    def write_bytes(self, uri: str, data: bytes, exclusive: bool = False) -> None:
        target = self._path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write a complete temporary file beside the target, then publish it in one step:
        # link (fails if the target exists) for exclusive writes, rename otherwise.
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if exclusive:
                try:
                    os.link(temporary, target)
                except FileExistsError:
                    raise AlreadyExists(str(target)) from None
            else:
                os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def exists(self, uri: str) -> bool:
        return self._path(uri).exists()

    def delete(self, uri: str) -> None:
        path = self._path(uri)
        if path.is_file():
            path.unlink()

    def delete_tree(self, uri: str) -> None:
        path = self._path(uri)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def child_dirs(self, uri: str) -> list[str]:
        path = self._path(uri)
        if not path.is_dir():
            return []
        return sorted(child.name for child in path.iterdir() if child.is_dir())

    def checksum(self, obj: StoredObject) -> str:
        digest = hashlib.sha256()
        with self._path(obj.uri).open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return f"sha256:{digest.hexdigest()}"


class S3Storage:
    """``s3://bucket/prefix`` through boto3 (the client is created on first use)."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    @staticmethod
    def _split(uri: str) -> tuple[str, str]:
        parsed = urlparse(uri)
        if parsed.scheme not in ("s3", "s3a"):
            raise ValueError(f"not an S3 URI: {uri}")
        return parsed.netloc, parsed.path.lstrip("/")

    def _objects(self, uri: str) -> Iterator[dict[str, Any]]:
        bucket, prefix = self._split(uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            yield from page.get("Contents", [])

    def list(self, uri: str) -> list[StoredObject]:
        bucket, prefix = self._split(uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        found = [
            StoredObject(
                f"s3://{bucket}/{item['Key']}",
                item["Key"][len(prefix) :],
                int(item["Size"]),
                item["LastModified"].astimezone(UTC),
                item.get("ETag", "").strip('"') or None,
            )
            for item in self._objects(uri)
            if not item["Key"].endswith("/")
        ]
        return sorted(found, key=lambda o: o.key)

    def read_bytes(self, uri: str) -> bytes:
        bucket, key = self._split(uri)
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def write_bytes(self, uri: str, data: bytes, exclusive: bool = False) -> None:
        from botocore.exceptions import ClientError

        bucket, key = self._split(uri)
        extra = {"IfNoneMatch": "*"} if exclusive else {}
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=data, **extra)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise AlreadyExists(uri) from None
            raise

    def exists(self, uri: str) -> bool:
        from botocore.exceptions import ClientError

        bucket, key = self._split(uri)
        try:
            self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return any(True for _ in self._objects(uri))
            raise
        return True

    def delete(self, uri: str) -> None:
        bucket, key = self._split(uri)
        self.client.delete_object(Bucket=bucket, Key=key)

    def delete_tree(self, uri: str) -> None:
        bucket, _ = self._split(uri)
        keys = [{"Key": item["Key"]} for item in self._objects(uri)]
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000]})

    def child_dirs(self, uri: str) -> list[str]:
        bucket, prefix = self._split(uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, Delimiter="/"
        )
        names = [
            common["Prefix"][len(prefix) :].rstrip("/")
            for page in pages
            for common in page.get("CommonPrefixes", [])
        ]
        return sorted(names)

    def checksum(self, obj: StoredObject) -> str:
        # The ETag is the MD5 of a single-part upload and a digest of the parts otherwise;
        # either way it changes when the bytes change, which is what the ledger needs.
        return f"etag:{obj.etag}"


_LOCAL = LocalStorage()
_S3: S3Storage | None = None


def storage_for(uri: str) -> Storage:
    """The backend for a URI: S3 for ``s3://`` (and ``s3a://``), the local disk otherwise."""
    global _S3
    if uri.startswith(("s3://", "s3a://")):
        if _S3 is None:
            _S3 = S3Storage()
        return _S3
    return _LOCAL


def use_s3_client(client: Any) -> None:
    """Route S3 URIs through ``client`` (tests point it at moto)."""
    global _S3
    _S3 = S3Storage(client)
