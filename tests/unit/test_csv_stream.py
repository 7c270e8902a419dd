"""CSV files are read as ordered lines and split into records as a stream
(carelake.pipeline.raw_files.ordered_lines, carelake.sources.delimited): no file is ever one
value in memory. The expected records come from Python's csv module reading the same bytes
(an independent parse), record for record.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime

import pytest
from pyspark.sql import functions as F

from carelake.declarations import FileKind
from carelake.pipeline.raw_files import NOT_UTF8, RawObject
from carelake.sources.delimited import (
    RECORDS_PER_BATCH,
    data_records,
    physical_lines,
    read_csv_records,
    split_records,
)

LANDED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def records_of(data: bytes) -> list[tuple]:
    """What the splitter makes of a file's bytes, given as ordered_lines gives them (LF-split)."""
    lines = [
        (part.decode("utf-8", errors="replace"), _is_utf8(part))
        for part in (data[:-1] if data.endswith(b"\n") else data).split(b"\n")
    ]
    return list(split_records(physical_lines(lines)))


def _is_utf8(part: bytes) -> bool:
    try:
        part.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_line_breaks_inside_quoted_fields_survive_byte_for_byte():
    data = b'id,note\r\n1,"two\r\nlines"\r\n2,"bare\nLF"\r\n3,plain\r\n'
    assert records_of(data) == [
        (1, "id,note", ["id", "note"], None),
        (2, '1,"two\r\nlines"', ["1", "two\r\nlines"], None),
        (4, '2,"bare\nLF"', ["2", "bare\nLF"], None),
        (6, "3,plain", ["3", "plain"], None),
    ]


def test_lone_cr_line_breaks_and_a_bom():
    data = "\ufeffid,name\ra,b\rc,d".encode()
    assert records_of(data) == [
        (1, "id,name", ["id", "name"], None),
        (2, "a,b", ["a", "b"], None),
        (3, "c,d", ["c", "d"], None),
    ]


def test_a_record_with_bytes_that_are_not_utf8_is_that_problem_and_the_next_goes_on():
    data = b"id,name\n" + "1,Zoë\n".encode("latin-1") + b'2,"multi\nline"\n3,ok\n'
    assert records_of(data) == [
        (1, "id,name", ["id", "name"], None),
        (2, None, None, NOT_UTF8),
        (3, '2,"multi\nline"', ["2", "multi\nline"], None),
        (5, "3,ok", ["3", "ok"], None),
    ]


def test_an_unterminated_quote_swallows_the_rest_of_the_file_as_one_problem():
    (header, swallowed) = records_of(b'id,name\n1,"open\n2,b\n')
    assert header == (1, "id,name", ["id", "name"], None)
    assert swallowed == (2, '1,"open\n2,b', None, "malformed CSV record: unexpected end of data")


def _write(raw, key: str, data: bytes) -> RawObject:
    path = raw / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return RawObject("synthea_csv", key, len(data), LANDED, "sha256:x", FileKind.WHOLE_TEXT)


@pytest.mark.spark
def test_large_files_split_across_tasks_come_out_in_order(spark, tmp_path):
    """Two files, each split by Spark into many blocks (a small maxPartitionBytes) and longer
    than one Arrow batch of records: every record, in order, with its first line, exactly as
    the csv module reads the same bytes."""
    raw = tmp_path / "raw"
    rows = RECORDS_PER_BATCH + 2_345
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "note"])
    for i in range(rows):
        writer.writerow(
            [f"r{i}", f"line one\nline two of {i}" if i % 1000 == 7 else f"note {i}, with a comma"]
        )
    big = buffer.getvalue().encode()
    objects = [
        _write(raw, "ehr/csv/dt=2024-05-01/a/patients.csv", big),
        _write(raw, "ehr/csv/dt=2024-05-01/b/patients.csv", big),
    ]

    expected, line = [], 1
    for fields in csv.reader(io.StringIO(big.decode(), newline="")):
        expected.append((line, fields))
        line += 1 + sum(field.count("\n") for field in fields)

    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(64 * 1024))  # ~20 blocks per file
    try:
        out = read_csv_records(spark, str(raw), objects).collect()
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)

    for key in ("a", "b"):
        mine = sorted(
            (r["record_number"], r["source_line"], r["fields"], r["problem"], r["problem_of_file"])
            for r in out
            if r["source_file"] == f"ehr/csv/dt=2024-05-01/{key}/patients.csv"
        )
        assert [(n, line, fields) for n, line, fields, _, _ in mine] == [
            (n, line, fields) for n, (line, fields) in enumerate(expected, start=1)
        ]
        assert {(p, f) for _, _, _, p, f in mine} == {(None, None)}
    assert len(out) == 2 * (rows + 1)
    # Every record carries its file's header row (the file checks read it there).
    assert {(tuple(r["header"]), r["header_problem"]) for r in out} == {(("id", "note"), None)}


@pytest.mark.spark
def test_gzip_files_and_files_that_cannot_be_read(spark, tmp_path):
    """A gzip file's records are its text's; a file that cannot be read is one record with
    the file's problem."""
    raw = tmp_path / "raw"
    text = b'id,note\r\n1,"two\r\nlines"\r\n2,b\r\n'
    good = _write(raw, "ehr/csv/dt=2024-05-01/good/patients.csv.gz", gzip.compress(text))
    empty = _write(raw, "ehr/csv/dt=2024-05-01/empty/patients.csv", b"")
    corrupt = _write(raw, "ehr/csv/dt=2024-05-01/corrupt/patients.csv.gz", b"not gzip at all")
    out = [
        (r["source_file"].split("/")[-2], r["record_number"], r["source_line"], r["raw_line"], r["fields"],
         (r["problem_of_file"] or "")[:24])
        for r in read_csv_records(spark, str(raw), [good, empty, corrupt]).collect()
    ]  # fmt: skip
    assert sorted(out, key=lambda row: (row[0], row[1])) == [
        ("corrupt", 1, None, None, None, "not a readable gzip file"),
        ("empty", 1, None, None, None, "empty file (0 bytes)"),
        ("good", 1, 1, "id,note", ["id", "note"], ""),
        ("good", 2, 2, '1,"two\r\nlines"', ["1", "two\r\nlines"], ""),
        ("good", 3, 4, "2,b", ["2", "b"], ""),
    ]


@pytest.mark.spark
def test_file_checks_keep_every_record_of_a_bad_file_and_drop_a_good_files_header(spark, tmp_path):
    """data_records: the first problem that applies is the file's, in order: unreadable,
    a header row that cannot be split, then the source's own checks (here: the header row must
    be id,note). A good file loses its header row; a bad file keeps every record."""
    raw = tmp_path / "raw"
    files = {
        "good": b"id,note\n1,a\n2,b\n",
        "unsplittable": b'"id,note\n1,a\n',  # the header's quote is never closed
        "mismatch": b"id,remark\n1,a\n",
        "latin1": "1,Zoë\n".encode("latin-1"),  # its only record is not UTF-8: no header row
    }
    objects = [
        _write(raw, f"ehr/csv/dt=2024-05-01/{name}/patients.csv", data) for name, data in files.items()
    ]
    objects.append(_write(raw, "ehr/csv/dt=2024-05-01/corrupt/patients.csv.gz", b"not gzip at all"))
    expected_header = F.when(
        F.coalesce(F.col("header") != F.array(F.lit("id"), F.lit("note")), F.lit(True)), F.lit("wrong header")
    )
    out = sorted(
        (r["source_file"].split("/")[-2], r["record_number"], r["file_problem"] or "")
        for r in data_records(read_csv_records(spark, str(raw), objects), expected_header).collect()
    )
    expected = [  # (file, record number, how its file problem begins)
        ("corrupt", 1, "not a readable gzip file: "),
        ("good", 2, ""),
        ("good", 3, ""),
        ("latin1", 1, f"no readable header row: {NOT_UTF8}"),
        ("mismatch", 1, "wrong header"),
        ("mismatch", 2, "wrong header"),
        (
            "unsplittable",
            1,
            f"no readable header row: malformed CSV record: {_csv_error(files['unsplittable'])}",
        ),
    ]
    assert [(name, n) for name, n, _ in out] == [(name, n) for name, n, _ in expected]
    for (name, n, problem), (_, _, begins) in zip(out, expected, strict=True):
        assert problem.startswith(begins) and bool(problem) == bool(begins), (name, n, problem)


def _csv_error(data: bytes) -> str:
    """What Python's csv module (strict) says of the bytes: the independent reference."""
    try:
        list(csv.reader(io.StringIO(data.decode(), newline=""), strict=True))
    except csv.Error as error:
        return str(error)
    raise AssertionError("the csv module read the bytes without an error")
