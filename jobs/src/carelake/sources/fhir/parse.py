"""FHIR R4 raw text -> records -> inspected records, in Spark's own JSON functions (no Python).

A Bundle file is parsed once into its entries, each resource kept as JSON text (a
string-typed field captures the raw JSON of a nested object); an NDJSON line or a file
holding a single resource is one record as it is. Each record is then parsed once more
for the columns every bronze row carries (type, id, meta, status, references, first
coding, dates) and checked. Every problem is a reason, never an exception:

- the text is not exactly one JSON value, or not an object;
- a Bundle whose ``entry`` is not an array of entry objects with resource objects, or
  that has no entries;
- an entry without a resource;
- no resourceType, one that is not an R4 type, a nested Bundle, no id, an id that is not
  a FHIR id, an element of the common columns with the wrong JSON type (a Reference given
  as text, say);
- a date that is not a FHIR date/dateTime/instant or not a calendar date.

Spark's JSON writer re-serialises the JSON of a bundle entry compactly, and numbers the way
Jackson reads them (``1.10`` becomes ``1.1``, ``1e26`` becomes ``1.0E26``): resource_json is
the same JSON value, the exact bytes stay in the raw zone. Plausibility of the values
(dates in range, lastUpdated not in the future) is carelake.pipeline.rules' job.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from carelake.sources.fhir.contract import (
    BRONZE_RESOURCE_TYPES,
    BRONZE_SCHEMA,
    OTHER_TABLE,
    R4_RESOURCE_TYPES,
    bronze_table_for,
)

# What the bundle's structure must be (a typed parse: any element of the wrong shape fails it).
_BUNDLE_SHAPE = (
    "resourceType string, entry array<struct<fullUrl:string, request:struct<method:string,url:string>, "
    "resource:struct<resourceType:string>>>, _corrupt_record string"
)
# The entries with each resource as JSON text.
_BUNDLE_ENTRIES = (
    "entry array<struct<fullUrl:string, request:struct<method:string,url:string>, resource:string>>"
)

_START_PATHS = (
    "period.start", "effectiveDateTime", "effectiveInstant", "effectivePeriod.start", "onsetDateTime",
    "performedDateTime", "performedPeriod.start", "occurrenceDateTime", "billablePeriod.start",
    "authoredOn", "recordedDate", "issued", "created", "date", "recorded", "birthDate",
)  # fmt: skip
_END_PATHS = (
    "period.end", "effectivePeriod.end", "abatementDateTime", "performedPeriod.end", "deceasedDateTime",
)  # fmt: skip
# Checked as dates, but no clinical event: a claim's billing period may end after it was sent
# (Synthea's ExplanationOfBenefit covers a year from its creation).
_OTHER_DATE_PATHS = ("meta.lastUpdated", "billablePeriod.end")
_PATIENT_REF_PATHS = ("subject.reference", "patient.reference", "beneficiary.reference")
_ENCOUNTER_REF_PATHS = ("encounter.reference", "context.reference")
_CODING_ELEMENTS = ("code", "type", "medicationCodeableConcept", "vaccineCode")
_PERIODS = ("period", "effectivePeriod", "performedPeriod", "billablePeriod")


def _inspect_schema() -> str:
    tops = {p for p in (*_START_PATHS, *_END_PATHS) if "." not in p}
    fields = [
        "resourceType string", "id string", "meta struct<lastUpdated:string,versionId:string>", "status string",
        *(f"{name} struct<reference:string>" for name in ("subject", "patient", "beneficiary", "encounter", "context")),
        *(f"{name} string" for name in _CODING_ELEMENTS),
        *(f"{name} struct<start:string,end:string>" for name in _PERIODS),
        *(f"{name} string" for name in sorted(tops)),
        "_corrupt_record string",
    ]  # fmt: skip
    return ", ".join(fields)


_INSPECT = _inspect_schema()
_JSON = {"columnNameOfCorruptRecord": "_corrupt_record"}
# A string-typed field takes any JSON value as its text (123 -> "123"), so the string
# elements are read a second time typed as numbers: a value there was a JSON number where
# FHIR has a string (an object or array is a wrong type the first parse already reports).
# Only a record whose texts look like a number (``NUMBER_TEXT``) needs that second parse;
# for every other record its result is known to be empty, and skipping it saves the
# costliest parse of inspection (every good record is a type mismatch for it).
_STRING_ELEMENTS = ("id", "status", "meta.lastUpdated", "meta.versionId", *(
    f"{name}.reference" for name in ("subject", "patient", "beneficiary", "encounter", "context")))  # fmt: skip
_NUMBER_PROBE = (
    "id double, status double, meta struct<lastUpdated:double,versionId:double>, "
    + ", ".join(
        f"{name} struct<reference:double>"
        for name in ("subject", "patient", "beneficiary", "encounter", "context")
    )
    + ", "
    + ", ".join(f"{name} struct<start:double,end:double>" for name in _PERIODS)
    + ", "
    + ", ".join(
        f"{name} double" for name in sorted({p for p in (*_START_PATHS, *_END_PATHS) if "." not in p})
    )
)

# What the first parse gives for a JSON number: Jackson's text of it (12, -1.5, 1500.0 for
# 1.5e3, 1.0E26), or "Infinity" in quotes for one beyond a double (1e400). A string "NaN" or
# "Infinity" is not matched: the number probe would read it as a number (a bare NaN token is
# not JSON and fails one_json_value first).
NUMBER_TEXT = r'^(-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?|"-?Infinity")$'
# FHIR date / dateTime / instant lexical forms: year, year-month, date, date-time with a zone.
FHIR_DATETIME = (
    r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$"
)
# FHIR id: https://hl7.org/fhir/R4/datatypes.html#id
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"


def one_json_value(text: Column) -> Column:
    """True when ``text`` is exactly one JSON value (surrounding whitespace allowed)."""
    return F.coalesce(F.json_array_length(F.concat(F.lit("["), text, F.lit("]"))) == 1, F.lit(False))


def fhir_timestamp(text: Column) -> Column:
    """A FHIR date/dateTime/instant as a UTC timestamp (partial dates at their first instant),
    null when it is not one: wrong form, not a calendar date (2023-02-30), or outside years
    1-9999 once in UTC (9999-12-31T23:59:59-01:00 is year 10000, which no reader can hold)."""
    moment = F.coalesce(
        F.to_timestamp(text, "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX"),
        F.to_timestamp(text, "yyyy-MM-dd"),
        F.to_timestamp(text, "yyyy-MM"),
        F.to_timestamp(text, "yyyy"),
    )
    return F.when(text.rlike(FHIR_DATETIME) & F.year(moment).between(1, 9999), moment)


def _record(
    source_file: Column, source_line: Column, source_entry: Column, full_url: Column, method: Column,
    url: Column, record: Column, problem: Column, landed_at: Column,
) -> list[Column]:  # fmt: skip
    return [
        source_file.alias("source_file"),
        source_line.cast("int").alias("source_line"),
        source_entry.cast("int").alias("source_entry"),
        full_url.cast("string").alias("full_url"),
        method.cast("string").alias("request_method"),
        url.cast("string").alias("request_url"),
        record.cast("string").alias("record"),
        problem.cast("string").alias("record_problem"),
        landed_at.alias("landed_at"),
    ]


def _stripped(text: Column) -> Column:
    """``text`` without leading and trailing JSON whitespace (F.trim strips spaces only; a
    regular expression anchored at the end retries at every whitespace run of a pretty-printed
    bundle)."""
    return F.btrim(text, F.lit(" \t\r\n"))


def _null(kind: str) -> Column:
    return F.lit(None).cast(kind)


def ndjson_records(lines: DataFrame) -> DataFrame:
    """NDJSON lines (carelake.pipeline.raw_files.LINE_SCHEMA) -> FHIR records."""
    problem = F.coalesce(F.col("problem"), F.when(_stripped(F.col("value")) == "", F.lit("empty line")))
    return lines.select(
        *_record(
            F.col("source_file"), F.col("source_line"), _null("int"), _null("string"), _null("string"), _null("string"),
            F.col("value"), problem, F.col("landed_at"),
        )
    )  # fmt: skip


def bundle_records(texts: DataFrame) -> DataFrame:
    """Whole .json files (carelake.pipeline.raw_files.TEXT_SCHEMA) -> FHIR records.

    A Bundle gives one record per entry (source_entry = its index); a file holding one
    resource gives one record; a file that cannot be split gives one record with the file's
    problem (and its text, when it has one). One pass over the files: each is parsed for
    its shape, then (a good Bundle) for its entries.
    """
    value = F.col("value")
    shaped = texts.select(
        "source_file", "landed_at", "value", "problem",
        F.from_json(value, _BUNDLE_SHAPE, _JSON).alias("shape"), one_json_value(value).alias("one_value"),
    )  # fmt: skip
    shape = F.col("shape")
    is_bundle = F.coalesce(shape["resourceType"] == "Bundle", F.lit(False))
    file_problem = F.coalesce(
        F.col("problem"),
        F.when(~F.col("one_value"), F.lit("unparseable JSON: not exactly one JSON value")),
        F.when(~_stripped(value).startswith("{"), F.lit("not a JSON object (a FHIR Bundle or resource)")),
        F.when(
            is_bundle & shape["_corrupt_record"].isNotNull(),
            F.lit("Bundle.entry is not an array of entry objects, each with a resource object"),
        ),
        F.when(
            is_bundle & (F.coalesce(F.size(shape["entry"]), F.lit(0)) <= 0), F.lit("Bundle without entries")
        ),
    )
    files = shaped.select(
        "source_file", "landed_at", "value", file_problem.alias("file_problem"), is_bundle.alias("is_bundle")
    )
    splits = F.col("file_problem").isNull() & F.col("is_bundle")
    entries = F.from_json(value, _BUNDLE_ENTRIES)["entry"]
    whole_file = F.struct(
        _null("int").alias("index"), _null("string").alias("full_url"), _null("string").alias("method"),
        _null("string").alias("url"),
        F.when(F.col("file_problem").isNull(), _stripped(value)).otherwise(value).alias("resource"),
    )  # fmt: skip
    items = F.when(
        splits,
        F.transform(
            entries,
            lambda e, i: F.struct(
                i.alias("index"),
                e["fullUrl"].alias("full_url"),
                e["request"]["method"].alias("method"),
                e["request"]["url"].alias("url"),
                e["resource"].alias("resource"),
            ),
        ),
    ).otherwise(F.array(whole_file))
    exploded = files.select(
        "source_file", "landed_at", "file_problem", "is_bundle", F.explode(items).alias("e")
    )
    entry_problem = F.when(
        F.col("is_bundle") & F.col("e.resource").isNull(), F.lit("bundle entry without resource")
    )
    return exploded.select(
        *_record(
            F.col("source_file"), _null("int"), F.col("e.index"), F.col("e.full_url"), F.col("e.method"),
            F.col("e.url"), F.col("e.resource"), F.coalesce(F.col("file_problem"), entry_problem), F.col("landed_at"),
        )
    )  # fmt: skip


def _path(parsed: Column, path: str) -> Column:
    out = parsed
    for part in path.split("."):
        out = out[part]
    return out


def _first_coding(parsed: Column) -> Column:
    """The first coding of the first of code / type / medicationCodeableConcept / vaccineCode
    that has one (a list of CodeableConcepts counts by its first element), as JSON text."""
    candidates = []
    for element in _CODING_ELEMENTS:
        text = parsed[element]
        candidates.append(
            F.when(text.startswith("["), F.get_json_object(text, "$[0].coding[0]")).otherwise(
                F.get_json_object(text, "$.coding[0]")
            )
        )
    return F.coalesce(*candidates)


def inspected_records(records: DataFrame) -> DataFrame:
    """Records -> ``reason`` (null for a good record), ``table`` and the bronze columns."""
    parsed = F.from_json("record", _INSPECT, _JSON)
    r = F.col("r")
    date_paths = (*_START_PATHS, *_END_PATHS, *_OTHER_DATE_PATHS)
    probed_paths = (*_STRING_ELEMENTS, *date_paths)  # the elements _NUMBER_PROBE reads
    dates = {path: _path(r, path) for path in date_paths}
    # Parsed once each, in their own projection (a column used in several places below
    # would otherwise be computed in each).
    staged = (
        records.withColumn("r", F.when(F.col("record_problem").isNull(), parsed))
        .withColumn("d", F.struct(*(fhir_timestamp(dates[p]).alias(p.replace(".", "_")) for p in date_paths)))
        .withColumn(
            "n",
            F.when(
                F.col("record_problem").isNull()
                & F.exists(
                    F.array(*(_path(r, path) for path in probed_paths)),
                    lambda text: text.rlike(NUMBER_TEXT),
                ),
                F.from_json("record", _NUMBER_PROBE),
            ),
        )
    )
    numbers = F.col("n")

    def is_number(path: str) -> Column:
        # Both parses agree: the probe read a number and the text is a number's (the probe
        # alone also reads the strings "NaN" and "Infinity" as numbers).
        return _path(numbers, path).isNotNull() & _path(r, path).rlike(NUMBER_TEXT)

    a_number = F.coalesce(*(F.when(is_number(path), F.lit(path)) for path in probed_paths))
    parsed_dates = {path: F.col("d")[path.replace(".", "_")] for path in date_paths}
    resource_type = r["resourceType"]
    bad_date = F.coalesce(
        *(
            F.when(
                is_number(path),
                F.format_string(f"bad date in {path}: %s is a JSON number, not a string", text),
            )
            for path, text in dates.items()
        ),
        *(
            F.when(
                text.isNotNull() & parsed_dates[path].isNull(),
                F.format_string(f"bad date in {path}: '%s'", text),
            )
            for path, text in dates.items()
        ),
    )
    record_is_object = _stripped(F.col("record")).startswith("{")
    # A bundle entry's record is Spark's own serialisation of the entry's parsed resource, so
    # it is one JSON value by construction; a file's or a line's text is checked.
    from_the_text = F.col("source_entry").isNull()
    reason = F.coalesce(
        F.col("record_problem"),
        F.when(
            from_the_text & ~one_json_value(F.col("record")),
            F.lit("unparseable JSON: not exactly one JSON value"),
        ),
        F.when(~record_is_object, F.lit("not a JSON object (a FHIR resource)")),
        F.when(resource_type.isNull(), F.lit("missing resourceType")),
        F.when(
            ~resource_type.isin(*sorted(R4_RESOURCE_TYPES)),
            F.format_string("not a FHIR R4 resource: resourceType '%s'", resource_type),
        ),
        F.when(resource_type == "Bundle", F.lit("nested Bundle: land bundles as their own files")),
        F.when(r["id"].isNull(), F.lit("missing id")),
        F.when(is_number("id"), F.format_string("invalid id %s: a JSON number, not a string", r["id"])),
        F.when(~r["id"].rlike(FHIR_ID), F.format_string("invalid id '%s'", r["id"])),
        F.when(
            r["_corrupt_record"].isNotNull(),
            F.lit(
                "an element of the common columns has the wrong JSON type (e.g. a Reference or Period given as text)"
            ),
        ),
        bad_date,
        F.when(
            a_number.isNotNull(),
            F.format_string("wrong JSON type: %s is a number, FHIR has a string", a_number),
        ),
        *(
            F.when(
                _path(r, path).rlike(r"^\s*[\[{]"),
                F.lit(f"wrong JSON type: {path} is an object or array, FHIR has a string"),
            )
            for path in _STRING_ELEMENTS
        ),
    )
    table_by_type = F.create_map(*(F.lit(x) for t in BRONZE_RESOURCE_TYPES for x in (t, bronze_table_for(t))))
    coding = _first_coding(r)
    columns = {
        "resource_type": resource_type,
        "resource_id": r["id"],
        "meta_last_updated": parsed_dates["meta.lastUpdated"],
        "meta_version_id": r["meta"]["versionId"],
        "status": r["status"],
        "patient_ref": F.coalesce(*(_path(r, p) for p in _PATIENT_REF_PATHS)),
        "encounter_ref": F.coalesce(*(_path(r, p) for p in _ENCOUNTER_REF_PATHS)),
        "code_system": F.get_json_object(coding, "$.system"),
        "code": F.get_json_object(coding, "$.code"),
        "code_display": F.get_json_object(coding, "$.display"),
        "effective_start": F.coalesce(*(parsed_dates[p] for p in _START_PATHS)),
        "effective_end": F.coalesce(*(parsed_dates[p] for p in _END_PATHS)),
        "full_url": F.col("full_url"),
        "request_method": F.col("request_method"),
        "request_url": F.col("request_url"),
        "resource_json": F.col("record"),
        "source_file": F.col("source_file"),
        "source_line": F.col("source_line"),
        "source_entry": F.col("source_entry"),
        "landed_at": F.col("landed_at"),
    }
    return staged.select(
        reason.alias("reason"),
        F.when(resource_type.isNotNull(), F.coalesce(table_by_type[resource_type], F.lit(OTHER_TABLE))).alias(
            "table"
        ),
        *(columns[f.name].cast(f.dataType).alias(f.name) for f in BRONZE_SCHEMA.fields),
    )
