"""Identity resolution (master patient index): rules, scored model, planted near-duplicates.

Every expected value below was worked out by hand from the planted records and the m/u
table in docs/identity-resolution.md (weights in bits, 2 decimals):

    first name  exact 6.49  close 3.58  similar 0  disagree -5.59
    last name   exact 7.52  close 3.74  similar 0  disagree -5.03
    birth date  exact 14.79 partial 2.32           disagree -6.64
    zip         exact 5.41  zip3 -0.32             disagree -3.65
    gender      agree 0.99                         disagree -5.64
    SSN         exact 19.86 partial 8.23           disagree -5.64      (missing: 0)

threshold 24.5, margin 5.0, swap penalty 1.0; a pair whose given name + gender + SSN weights
sum below zero is vetoed (household guard).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pytest
from chispa import assert_basic_rows_equality
from chispa.schema_comparer import assert_schema_equality
from pyspark.sql import Row
from pyspark.sql import types as T

from carelake.pseudonym_key import PseudonymKey
from carelake.silver.identity import (
    RULES,
    IdentityResolution,
    MatchSettings,
    compact_name,
    dob_levels,
    gender_levels,
    name_levels,
    normalize_gender,
    normalize_name,
    normalize_ssn,
    normalize_zip5,
    normalized_gender,
    normalized_name,
    normalized_ssn,
    normalized_zip5,
    resolve_identities,
    score_pairs,
    ssn_levels,
    zip_levels,
)
from tests.paths import CSV_FIXTURE_DIR

SCHEMA = (
    "source string, source_id string, mrn string, ssn string, first_name string, last_name string, "
    "birth_date date, gender string, zip5 string, address_line string"
)
SETTINGS = MatchSettings()
TEST_SECRET = b"identity-tests-secret-0123456789abcdef"
KEY = PseudonymKey(TEST_SECRET, "identity tests")


def pk(anchor: str) -> str:
    """The documented key: "pk-" + 16 hex digits of HMAC-SHA256(secret, anchor), computed independently."""
    return "pk-" + hmac.new(TEST_SECRET, anchor.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------------------
# Normalisation and comparisons (plain pandas, no Spark)
# --------------------------------------------------------------------------------------


NAME_CASES = [
    ("Maynard46", "maynard"),
    ("Mosciski958", "mosciski"),
    ("José62", "jose"),
    ("García-López510", "garcia lopez"),
    ("O'Brien", "obrien"),
    ("  Mary   Ann ", "mary ann"),
    ("Noriega Jr.", "noriega"),
    ("Müller", "muller"),
    ("Strauß", "strauss"),
    ("St.John", "st john"),
    ("123", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), NAME_CASES)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


def test_compact_name_ignores_spaces():
    assert compact_name("garcia lopez") == "garcialopez"
    assert compact_name(None) is None


SSN_CASES = [
    ("999-17-5017", "999175017"),
    ("999175017", "999175017"),
    (" 999 17 5017 ", "999175017"),
    ("", None),
    (None, None),
    ("000-12-3456", None),  # area 000 is never issued
    ("666-12-3456", None),
    ("999-00-1234", None),  # group 00
    ("999-12-0000", None),  # serial 0000
    ("999-99-9999", None),  # one repeated digit: a placeholder
    ("123-45-6789", None),
    ("999-17-501", None),  # 8 digits
]


@pytest.mark.parametrize(("raw", "expected"), SSN_CASES)
def test_normalize_ssn(raw, expected):
    assert normalize_ssn(raw) == expected


ZIP_CASES = [("02155", "02155"), ("2155", "02155"), ("02155-1234", "02155"), ("021551234", "02155"),
             ("abc", None), ("00000", None), (None, None)]  # fmt: skip
GENDER_CASES = [("M", "M"), ("f", "F"), ("female", "F"), ("U", None), ("", None), (None, None)]


@pytest.mark.parametrize(("raw", "expected"), ZIP_CASES)
def test_normalize_zip5(raw, expected):
    assert normalize_zip5(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), GENDER_CASES)
def test_normalize_gender(raw, expected):
    assert normalize_gender(raw) == expected


TRICKY_NAMES = [
    "Zoë", "Ærøskøbing", "ﬁona", "Đorđević", "Łukasz", "İsmail", "e\u0301mile", "Smith-Jones III", "ＪＯＨＮ",
    "Dvořák", "Nguyễn", "Þór", "O’Connor", "  ", "jr", "Mary Jr Sr", "Van der Berg", "D'Angelo-Ruiz",
    "Σοφία", "Müller-Lüdenscheidt", "Ĳsselmeer", "MacDonald2", "Anne-Marie",
]  # fmt: skip


@pytest.mark.spark
def test_spark_normalisation_agrees_with_the_python_reference(spark):
    with (CSV_FIXTURE_DIR / "patients.csv").open(encoding="utf-8") as handle:
        synthea = list(csv.DictReader(handle))
    names = [r["FIRST"] for r in synthea] + [r["LAST"] for r in synthea] + TRICKY_NAMES
    names += [raw for raw, _ in NAME_CASES if raw is not None] + [None]
    ssns = [r["SSN"] for r in synthea] + [raw for raw, _ in SSN_CASES]
    zips = [r["ZIP"] for r in synthea] + [raw for raw, _ in ZIP_CASES]
    genders = [r["GENDER"] for r in synthea] + [raw for raw, _ in GENDER_CASES] + [" m ", "x"]
    width = max(len(names), len(ssns), len(zips), len(genders))
    rows = list(zip(*[(col + [None] * width)[:width] for col in (names, ssns, zips, genders)], strict=True))
    frame = spark.createDataFrame(rows, "name string, ssn string, zip string, gender string")
    got = frame.select(
        "name", "ssn", "zip", "gender",
        normalized_name(frame["name"]).alias("name_n"), normalized_ssn(frame["ssn"]).alias("ssn_n"),
        normalized_zip5(frame["zip"]).alias("zip_n"), normalized_gender(frame["gender"]).alias("gender_n"),
    ).collect()  # fmt: skip
    assert len(got) == width
    for row in got:
        assert row["name_n"] == normalize_name(row["name"]), row["name"]
        assert row["ssn_n"] == normalize_ssn(row["ssn"]), row["ssn"]
        assert row["zip_n"] == normalize_zip5(row["zip"]), row["zip"]
        assert row["gender_n"] == normalize_gender(row["gender"]), row["gender"]
    assert normalize_name("Ærøskøbing") == "aeroskobing"
    assert normalize_name("Đorđević") == "dordevic"
    assert normalize_name("e\u0301mile") == "emile"
    assert normalize_name("jr") == "jr"  # a lone suffix is a name


def _levels(fn, pairs, *args):
    left, right = zip(*pairs, strict=True)
    return list(fn(pd.Series(left, dtype=object), pd.Series(right, dtype=object), *args))


def test_name_levels():
    pairs = [
        ("olivia", "olivia"),  # exact
        ("olivai", "olivia"),  # JW 0.967: close
        ("olivai", "sophia"),  # JW 0.667: disagree (a twin's name)
        ("garcia", "garcia lopez"),  # one surname of a compound one: close
        ("garcia lopez", "garcialopez"),  # equal without spaces: exact
        ("jackie", "jacky"),  # JW 0.893: similar
        ("mary", "maria"),  # JW 0.848: disagree
        (None, "olivia"),
    ]
    assert _levels(name_levels, pairs, SETTINGS) == [
        "exact", "close", "disagree", "close", "exact", "similar", "disagree", "missing",
    ]  # fmt: skip


def test_dob_levels():
    pairs = [
        ("1996-06-05", "1996-06-05"),
        ("1996-05-06", "1996-06-05"),  # day and month transposed
        ("1985-02-22", "1985-07-22"),  # only the month differs
        ("1958-03-14", "1957-03-14"),  # only the year differs
        ("2014-03-22", "2014-10-06"),  # same year only
        (None, "2014-10-06"),
    ]
    assert _levels(dob_levels, pairs) == ["exact", "partial", "partial", "partial", "disagree", "missing"]


def test_ssn_zip_gender_levels():
    ssns = [
        ("999508136", "999508136"),
        ("999508163", "999508136"),  # adjacent digits transposed
        ("999508137", "999508136"),  # one digit
        ("123458136", "999508136"),  # same last four
        ("999401111", "999402222"),  # conflict (the twins)
        (None, "999402222"),
    ]
    assert _levels(ssn_levels, ssns) == ["exact", "partial", "partial", "partial", "disagree", "missing"]
    zips = [("02155", "02155"), ("02155", "02101"), ("01453", "02108"), ("02155", None)]
    assert _levels(zip_levels, zips) == ["exact", "zip3", "disagree", "missing"]
    genders = [("F", "F"), ("F", "M"), (None, "M")]
    assert _levels(gender_levels, genders) == ["agree", "disagree", "missing"]


def test_weights_are_log2_of_m_over_u():
    assert SETTINGS.weights() == {
        "first_name": {"exact": 6.49, "close": 3.58, "similar": 0.0, "disagree": -5.59},
        "last_name": {"exact": 7.52, "close": 3.74, "similar": 0.0, "disagree": -5.03},
        "birth_date": {"exact": 14.79, "partial": 2.32, "disagree": -6.64},
        "zip": {"exact": 5.41, "zip3": -0.32, "disagree": -3.65},
        "gender": {"agree": 0.99, "disagree": -5.64},
        "ssn": {"exact": 19.86, "partial": 8.23, "disagree": -5.64},
    }


def _pair(q, e):
    keys = ("first", "last", "dob", "zip", "gender", "ssn")
    return {
        **{f"q_{k}": v for k, v in zip(keys, q, strict=True)},
        **{f"e_{k}": v for k, v in zip(keys, e, strict=True)},
    }


def test_score_pairs_twins_and_swaps():
    olivia = ("olivia", "hirthe", "2001-09-17", "01890", "F", "999401111")
    sophia = ("sophia", "hirthe", "2001-09-17", "01890", "F", "999402222")
    typo = ("olivai", "hirthe", "2001-09-17", "01890", "F", None)
    swapped = ("mann", "gene", "1973-10-28", "02653", "M", None)
    gene = ("gene", "mann", "1973-10-28", "02653", "M", "999453308")
    scored = score_pairs(
        pd.DataFrame([_pair(typo, olivia), _pair(typo, sophia), _pair(olivia, sophia), _pair(swapped, gene)]),
        SETTINGS,
    )
    # typo vs Olivia: 3.58 + 7.52 + 14.79 + 5.41 + 0.99 = 32.29, scored candidate (level 9)
    # typo vs Sophia: -5.59 + 7.52 + 14.79 + 5.41 + 0.99 = 23.12; given name + gender = -4.60 < 0: vetoed
    # Olivia vs Sophia: -5.59 + 7.52 + 14.79 + 5.41 + 0.99 - 5.64 = 17.48; -5.59 + 0.99 - 5.64 < 0: vetoed
    # swapped vs Gene: 6.49 + 7.52 - 1 (swap) + 14.79 + 5.41 + 0.99 = 34.20; exact swapped names,
    #   birth date and zip, SSN missing on one side: name_dob_zip (level 3)
    assert list(scored["score"]) == pytest.approx([32.29, 23.12, 17.48, 34.20], abs=0.05)
    assert list(scored["vetoed"]) == [False, True, True, False]
    assert list(scored["level"]) == [9, 9, 9, 3]
    assert list(scored["given"]) == ["close", "disagree", "disagree", "exact"]
    assert scored["detail"][3].endswith("swapped")


def test_score_pairs_vetoes_consecutive_ssn_twins_and_incompatible_names():
    keenan = ("keenan", "spinka", "1994-07-04", "02143", "M", "999614470")
    jarvis = ("jarvis", "spinka", "1994-07-04", "02143", "M", "999614471")
    stranger = ("tess", "rutherford", "1994-07-04", "02143", "M", "999614470")
    scored = score_pairs(pd.DataFrame([_pair(jarvis, keenan), _pair(stranger, keenan)]), SETTINGS)
    # Jarvis vs Keenan: -5.59 + 7.52 + 14.79 + 5.41 + 0.99 + 8.23 = 31.35 over the threshold,
    #   but person evidence -5.59 + 0.99 + 0 (near-miss SSN) < 0: vetoed.
    # Same SSN and birth date, no name part agreeing: -5.59 - 5.03 + 14.79 + 5.41 + 0.99 + 19.86
    #   = 30.43; not ssn_dob (names incompatible) and vetoed as a scored link.
    assert list(scored["score"]) == pytest.approx([31.35, 30.43], abs=0.05)
    assert list(scored["vetoed"]) == [True, True]
    assert list(scored["level"]) == [9, 9]


# --------------------------------------------------------------------------------------
# The planted set
# --------------------------------------------------------------------------------------

D = date.fromisoformat


def ehr(pid, first, last, birth, gender, ssn, zip5, address):
    return ("ehr", pid, "MRN-" + pid[2:], ssn, first, last, D(birth), gender, zip5, address)


def claim(member, first, last, birth, gender, ssn, zip5):
    return ("partner_claims", member, None, ssn, first, last, D(birth), gender, zip5, None)


def outreach(mrn):
    return ("outreach", mrn, mrn, None, None, None, None, None, None, None)


HIRTHE_HOME, PACOCHA_HOME = "455 Labadie Underpass Suite 69", "12 Maple Way"
EHR_RECORDS = [
    ehr(
        "p-01",
        "Maynard46",
        "Mosciski958",
        "2014-10-06",
        "M",
        "999-17-5017",
        "02155",
        "784 Stamm Lock Unit 46",
    ),
    ehr("p-02", "Jackie93", "Okuneva707", "1996-06-05", "F", "999-66-5642", "01890", "12 Kemmer Neck"),
    ehr("p-03", "Curt84", "Schmidt332", "2008-04-07", "M", "999-50-8136", "02649", "171 Kemmer Neck Apt 30"),
    ehr("p-04", "Rosalia12", "DuBuque211", "1957-03-14", "F", "999-31-4420", "01060", "88 Rowe Vale"),
    ehr("p-05", "Gene733", "Mann644", "1973-10-28", "M", "999-45-3308", "02653", "940 Daniel Union"),
    ehr("p-06", "Willena88", "Gleichner17", "1948-12-01", "F", "999-72-1198", "01453", "5 Oak Glen"),
    ehr("p-07", "Octavio20", "Noriega55", "1985-07-22", "M", "999-28-6610", "01841", "301 Howe Dam"),
    ehr("p-08", "Marcelene7", "Wintheiser365", "1939-02-09", "F", "999-84-2051", "02301", "77 Elm Court"),
    ehr("p-09", "James12", "Smith480", "1980-05-05", "M", "999-11-2222", "02139", "9 Pine Lane"),
    ehr("p-10", "José62", "García-López510", "1966-08-30", "M", "999-63-7781", "01902", "14 Hyatt Ramp"),
    ehr("p-11", "Hai8", "Nguyen77", "1990-11-11", "M", "999-23-4455", "01605", "3 Cedar Way"),
    ehr("p-12", "Lavonda5", "Kihn22", "1977-01-30", "F", "999-88-1234", "01420", "60 Maple Trail"),
    # One person registered twice in the EHR (two patient ids): not separable.
    ehr("p-13a", "Jetta40", "Ankunding277", "1962-06-19", "F", "999-35-9090", "02740", "1 Mertz Wall"),
    ehr("p-13b", "Jetta40", "Ankunding277", "1962-06-19", "F", "999-35-9090", "02740", "1 Mertz Wall"),
    # Twins: same last name, birth date, address and zip; different first names and SSNs.
    ehr("p-21", "Olivia42", "Hirthe97", "2001-09-17", "F", "999-40-1111", "01890", HIRTHE_HOME),
    ehr("p-22", "Sophia11", "Hirthe97", "2001-09-17", "F", "999-40-2222", "01890", HIRTHE_HOME),
    ehr("p-23", "Christian19", "Pacocha302", "2012-02-14", "M", "999-52-3131", "02472", PACOCHA_HOME),
    ehr("p-24", "Christina55", "Pacocha302", "2012-02-14", "F", "999-52-3232", "02472", PACOCHA_HOME),
    # A twin whose brother is not in the EHR; twins often get consecutive SSNs.
    ehr("p-25", "Keenan77", "Spinka12", "1994-07-04", "M", "999-61-4470", "02143", "48 Walnut Terrace"),
]

# (record, expected rule, expected anchor EHR id or None, expected score or None, truth)
# truth: the EHR ids that are the same person (empty: nobody in the EHR).
NONE: frozenset[str] = frozenset()
PLANTED = [
    # SSN + birth date; names without Synthea digits. 6.49+7.52+14.79+5.41+0.99+19.86 = 55.06
    (claim("bcbs:XBC100000001", "Maynard", "Mosciski", "2014-10-06", "M", "999-17-5017", "02155"),
     "ssn_dob", "p-01", 55.06, {"p-01"}),
    # Last-name typo (insertion, JW 0.975), no SSN: 14.79+6.49+3.74+5.41+0.99 = 31.42
    (claim("bcbs:XBC100000002", "Jackie", "Okunevva", "1996-06-05", "F", "", "01890"),
     "scored", "p-02", 31.42, {"p-02"}),
    # First-name typo (transposition, JW 0.971), no SSN: 14.79+3.58+7.52+5.41+0.99 = 32.29
    (claim("aetna:W200000003", "Rosaila", "DuBuque", "1957-03-14", "F", None, "01060"),
     "scored", "p-04", 32.29, {"p-04"}),
    # First and last swapped, no SSN: exact when swapped. 6.49+7.52-1+14.79+5.41+0.99 = 34.20
    (claim("aetna:W200000004", "Mann", "Gene", "1973-10-28", "M", None, "02653"),
     "name_dob_zip", "p-05", 34.20, {"p-05"}),
    # Moved to another zip3 area, no SSN: 14.79+6.49+7.52-3.65+0.99 = 26.14 >= 24.5
    (claim("aetna:W200000005", "Willena", "Gleichner", "1948-12-01", "F", None, "02108"),
     "scored", "p-06", 26.14, {"p-06"}),
    # Exact names, birth date and zip, no SSN: 6.49+7.52+14.79+5.41+0.99 = 35.20
    (claim("humana:H30000006", "Octavio", "Noriega", "1985-07-22", "M", None, "01841"),
     "name_dob_zip", "p-07", 35.20, {"p-07"}),
    # SSN without dashes + last-name typo (deletion, JW 0.98): 6.49+3.74+14.79+5.41+0.99+19.86 = 51.28
    (claim("humana:H30000007", "Marcelene", "Wintheisr", "1939-02-09", "F", "999842051", "02301"),
     "ssn_dob", "p-08", 51.28, {"p-08"}),
    # Accents and the hyphen dropped by the payer: "garcialopez" either way. 35.20
    (claim("bcbs:XBC100000008", "Jose", "Garcia Lopez", "1966-08-30", "M", None, "01902"),
     "name_dob_zip", "p-10", 35.20, {"p-10"}),
    # Only the first of two surnames: close by token subset. 14.79+6.49+3.74+5.41+0.99 = 31.42
    (claim("humana:H30000009", "Jose", "Garcia", "1966-08-30", "M", None, "01902"),
     "scored", "p-10", 31.42, {"p-10"}),
    # First-name typo AND moved AND no SSN: 14.79+3.58+7.52-3.65+0.99 = 23.23 < 24.5 (a designed miss)
    (claim("bcbs:XBC100000010", "Lavnoda", "Kihn", "1977-01-30", "F", None, "02115"),
     "unlinked", None, 23.23, {"p-12"}),
    # The common name of the person in the EHR: SSN + birth date. 55.06
    (claim("aetna:W200000011", "James", "Smith", "1980-05-05", "M", "999-11-2222", "02139"),
     "ssn_dob", "p-09", 55.06, {"p-09"}),
    # SSN with two digits transposed, moved: 6.49+7.52+14.79-3.65+0.99+8.23 = 34.37
    (claim("aetna:W200000012", "Curt", "Schmidt", "2008-04-07", "M", "999-50-8163", "02101"),
     "scored", "p-03", 34.37, {"p-03"}),
    # Day and month of birth transposed, found through the SSN block: 6.49+7.52+2.32+5.41+0.99+19.86 = 42.59
    (claim("humana:H30000013", "Jackie", "Okuneva", "1996-05-06", "F", "999-66-5642", "01890"),
     "scored", "p-02", 42.59, {"p-02"}),
    # SSN + birth date match both registrations of one person: ambiguous. 55.06
    (claim("bcbs:XBC100000014", "Jetta", "Ankunding", "1962-06-19", "F", "999-35-9090", "02740"),
     "ambiguous", None, 55.06, {"p-13a", "p-13b"}),
    # Twin Olivia with a typo: 32.29; Sophia is vetoed (-5.59+0.99 < 0), so no runner-up.
    (claim("bcbs:XBC100000021", "Olivai", "Hirthe", "2001-09-17", "F", None, "01890"),
     "scored", "p-21", 32.29, {"p-21"}),
    # Twin Sophia with her SSN: 55.06
    (claim("bcbs:XBC100000022", "Sophia", "Hirthe", "2001-09-17", "F", "999-40-2222", "01890"),
     "ssn_dob", "p-22", 55.06, {"p-22"}),
    # Christian or Christina? A typo close to both (JW 0.978 / 0.953), gender U, no SSN:
    # both 14.79+3.58+7.52+5.41 = 31.30, a tie: ambiguous.
    (claim("aetna:W200000023", "Christan", "Pacocha", "2012-02-14", "U", None, "02472"),
     "ambiguous", None, 31.30, {"p-23"}),
    # Twin Christina, exact: 35.20 (Christian: close name but -5.64 gender, vetoed)
    (claim("aetna:W200000024", "Christina", "Pacocha", "2012-02-14", "F", None, "02472"),
     "name_dob_zip", "p-24", 35.20, {"p-24"}),
    # Olivia's claim carrying her twin Sophia's SSN: ssn_dob points at Sophia (42.98) while
    # Olivia's given name agrees (29.56): household conflict, ambiguous, never Sophia.
    (claim("humana:H30000025", "Olivia", "Hirthe", "2001-09-17", "F", "999-40-2222", "01890"),
     "ambiguous", None, 42.98, {"p-21"}),
    # Not in the EHR: same common name and birth date as p-09, other SSN and zip3.
    # 14.79+6.49+7.52-3.65+0.99-5.64 = 20.50
    (claim("bcbs:XBC100000101", "James", "Smith", "1980-05-05", "M", "999-77-3030", "01002"),
     "unlinked", None, 20.50, NONE),
    # Same name and zip as p-01, born 7 months earlier the same year (year+zip3+initial block):
    # -6.64+6.49+7.52+5.41+0.99 = 13.77
    (claim("aetna:W200000102", "Maynard", "Mosciski", "2014-03-22", "M", None, "02155"),
     "unlinked", None, 13.77, NONE),
    # Octavio Noriega Jr.: birth month differs, other SSN: 6.49+7.52+2.32+5.41+0.99-5.64 = 17.09
    (claim("humana:H30000103", "Octavio", "Noriega Jr.", "1985-02-22", "M", "999-93-4417", "01841"),
     "unlinked", None, 17.09, NONE),
    # Nobody like her anywhere: no candidate pair at all.
    (claim("bcbs:XBC100000104", "Tess", "Rutherford", "1999-04-04", "F", None, "01001"),
     "unlinked", None, None, NONE),
    # A third Hirthe sibling born the same day (triplet) who is not in the EHR: both sisters
    # are vetoed (given name disagrees, -5.59+0.99 < 0), so no eligible candidate.
    (claim("bcbs:XBC100000105", "Ava", "Hirthe", "2001-09-17", "F", None, "01890"),
     "unlinked", None, None, NONE),
    # Keenan's twin brother Jarvis (not in the EHR) with his own, consecutive SSN: the SSN is a
    # near miss (+8.23), but a near-miss SSN is no person-specific evidence, so the given name
    # (-5.59) + gender (0.99) < 0 vetoes the pair (it would score 31.35). No eligible candidate.
    (claim("bcbs:XBC100000106", "Jarvis", "Spinka", "1994-07-04", "M", "999-61-4471", "02143"),
     "unlinked", None, None, NONE),
    (outreach("MRN-11"), "mrn_exact", "p-11", None, {"p-11"}),
    (outreach("MRN-21"), "mrn_exact", "p-21", None, {"p-21"}),
    (outreach("MRN-404"), "unmatched_mrn", None, None, NONE),
]  # fmt: skip

ALL_RECORDS = EHR_RECORDS + [row for row, *_ in PLANTED]


def planted_frame(spark, rows=ALL_RECORDS):
    return spark.createDataFrame(rows, SCHEMA)


@dataclass
class Resolved:
    result: IdentityResolution
    crosswalk_rows: list[Row]  # sorted
    review_rows: list[Row]  # sorted

    @property
    def crosswalk(self) -> dict[tuple[str, str], dict]:
        return {(r["source"], r["source_id"]): r.asDict() for r in self.crosswalk_rows}

    @property
    def review(self) -> list[dict]:
        return [r.asDict() for r in self.review_rows]


def resolved(frame) -> Resolved:
    result = resolve_identities(frame, key=KEY)
    return Resolved(
        result, sorted(result.crosswalk.collect(), key=str), sorted(result.review.collect(), key=str)
    )


@pytest.fixture(scope="module")
def planted(spark):
    started = time.perf_counter()
    run = resolved(planted_frame(spark))
    print(
        f"\nidentity resolution, planted set ({len(ALL_RECORDS)} records): {time.perf_counter() - started:.1f}s"
    )
    yield run
    run.result.unpersist()


@pytest.mark.spark
def test_output_schemas(planted):
    assert_schema_equality(
        planted.result.crosswalk.schema,
        T.StructType([
            T.StructField("source", T.StringType()), T.StructField("source_id", T.StringType()),
            T.StructField("patient_key", T.StringType()), T.StructField("rule", T.StringType()),
            T.StructField("score", T.DoubleType()), T.StructField("linked", T.BooleanType()),
        ]),
        ignore_nullable=True,
    )  # fmt: skip
    assert_schema_equality(
        planted.result.review.schema,
        T.StructType([
            T.StructField("source", T.StringType()), T.StructField("source_id", T.StringType()),
            T.StructField("candidate_source_id", T.StringType()), T.StructField("candidate_patient_key", T.StringType()),
            T.StructField("score", T.DoubleType()), T.StructField("reason", T.StringType()),
        ]),
        ignore_nullable=True,
    )  # fmt: skip


@pytest.mark.spark
def test_every_record_appears_exactly_once(planted):
    keys = [(r[0], r[1]) for r in ALL_RECORDS]
    assert len(planted.crosswalk_rows) == len(ALL_RECORDS) == len(set(keys))
    assert set(planted.crosswalk) == set(keys)


@pytest.mark.spark
def test_rule_counts(planted):
    assert list(planted.result.summary) == list(RULES)
    assert planted.result.summary == {
        "ehr_self": 19,  # p-01..p-12, p-13a/b, p-21..p-25
        "mrn_exact": 2,
        "ssn_dob": 4,  # Maynard, Marcelene, James Smith, Sophia
        "name_dob_zip": 4,  # Gene (swapped), Octavio, José García-López, Christina
        "scored": 7,  # Jackie x2, Rosalia, Willena, José García, Curt, Olivia (typo)
        "unlinked": 7,  # Lavonda (designed miss) and the six non-matches
        "ambiguous": 3,  # Jetta (EHR duplicate), Christan, Olivia with Sophia's SSN
        "unmatched_mrn": 1,
    }


@pytest.mark.spark
def test_each_planted_record_gets_the_expected_rule_key_and_score(planted):
    crosswalk = planted.crosswalk
    for row, rule, anchor, score, _truth in PLANTED:
        source, source_id = row[0], row[1]
        got = crosswalk[(source, source_id)]
        expected_key = pk(f"ehr:{anchor}") if anchor else pk(f"{source}:{source_id}")
        assert (got["rule"], got["patient_key"], got["linked"]) == (rule, expected_key, anchor is not None), (
            source_id
        )
        if score is None:
            assert got["score"] is None, source_id
        else:
            assert got["score"] == pytest.approx(score, abs=0.05), source_id
    for row in EHR_RECORDS:
        got = crosswalk[("ehr", row[1])]
        assert (got["rule"], got["patient_key"], got["score"], got["linked"]) == (
            "ehr_self",
            pk(f"ehr:{row[1]}"),
            None,
            True,
        )


@pytest.mark.spark
def test_precision_recall_and_no_twin_merged(planted):
    crosswalk = planted.crosswalk
    ehr_key = {pk(f"ehr:{row[1]}"): row[1] for row in EHR_RECORDS}
    linked = correct = relevant = 0
    for row, _rule, _anchor, _score, truth in PLANTED:
        got = crosswalk[(row[0], row[1])]
        anchor = ehr_key.get(got["patient_key"])
        relevant += bool(truth)
        if anchor is not None:
            linked += 1
            correct += anchor in truth
    precision, recall = correct / linked, correct / relevant
    print(f"\nplanted set: {linked} linked, {correct} correct, {relevant} true matches: "
          f"precision {precision:.3f}, recall {recall:.3f}")  # fmt: skip
    assert precision == 1.0
    # 21 true matches; 4 are unresolvable by design for a precision-first model: the typo +
    # moved + no SSN member (23.23 < 24.5), the EHR duplicate, the Christan/Christina tie and
    # the twin carrying her sister's SSN. So recall is at least 17/21.
    assert (correct, relevant) == (17, 21)
    assert recall >= 17 / 21
    # Twins keep four distinct keys, and no record of one twin carries the other's key.
    twins = {"p-21", "p-22", "p-23", "p-24", "p-25"}
    assert len({crosswalk[("ehr", t)]["patient_key"] for t in twins}) == 5
    for row, *_rest, truth in PLANTED:
        anchor = ehr_key.get(crosswalk[(row[0], row[1])]["patient_key"])
        assert anchor is None or anchor in truth, row[1]


@pytest.mark.spark
def test_review_lists_ambiguous_candidates_and_unmatched_mrns(planted):
    review = planted.review
    listed = sorted((r["source_id"], r["candidate_source_id"], r["candidate_patient_key"]) for r in review)
    assert listed == sorted(
        [
            ("aetna:W200000023", "p-23", pk("ehr:p-23")),
            ("aetna:W200000023", "p-24", pk("ehr:p-24")),
            ("bcbs:XBC100000014", "p-13a", pk("ehr:p-13a")),
            ("bcbs:XBC100000014", "p-13b", pk("ehr:p-13b")),
            ("humana:H30000025", "p-21", pk("ehr:p-21")),
            ("humana:H30000025", "p-22", pk("ehr:p-22")),
            ("MRN-404", None, None),
        ],
        key=str,
    )
    by_pair = {(r["source_id"], r["candidate_source_id"]): r for r in review}
    assert by_pair[("humana:H30000025", "p-22")]["score"] == pytest.approx(42.98, abs=0.05)
    assert by_pair[("humana:H30000025", "p-21")]["score"] == pytest.approx(29.56, abs=0.05)
    assert "household" in by_pair[("humana:H30000025", "p-22")]["reason"]
    assert by_pair[("aetna:W200000023", "p-23")]["score"] == pytest.approx(31.30, abs=0.05)
    assert "2 candidates within 5.0 bits" in by_pair[("aetna:W200000023", "p-24")]["reason"]
    assert "rule ssn_dob matches 2 EHR patients" in by_pair[("bcbs:XBC100000014", "p-13a")]["reason"]
    assert by_pair[("MRN-404", None)]["reason"] == "unmatched_mrn: no EHR patient has this MRN"


@pytest.mark.spark
def test_deterministic_across_row_order_partitioning_and_reruns(spark, planted):
    rows = list(ALL_RECORDS)
    random.Random(20240917).shuffle(rows)
    again = resolved(planted_frame(spark, rows).repartition(5))
    again.result.unpersist()
    assert_basic_rows_equality(again.crosswalk_rows, planted.crosswalk_rows)
    assert_basic_rows_equality(again.review_rows, planted.review_rows)
    assert again.result.summary == planted.result.summary


# --------------------------------------------------------------------------------------
# A synthetic population of a few thousand, Synthea-style, with the generator's noise
# --------------------------------------------------------------------------------------

FIRST_F = (
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Rosalia",
    "Jackie",
    "Jetta",
    "Tess",
    "Romona",
    "Lavonda",
    "Cathey",
    "Pearle",
    "Eugena",
    "Willena",
)
FIRST_M = (
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Maynard",
    "Curt",
    "Keenan",
    "Dewey",
    "Lewis",
    "Jarvis",
    "Amos",
    "Octavio",
    "Jerold",
    "Antwan",
)
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Mosciski",
    "Schmidt",
    "Okuneva",
    "Mann",
    "DuBuque",
    "Schmeler",
    "Olivo",
    "Ankunding",
    "Zulauf",
    "Roberts",
    "Johns",
    "Moen",
    "Kerluke",
    "Ryan",
    "Conroy",
    "Reynolds",
    "Schultz",
    "Rogahn",
    "Pacocha",
    "Prohaska",
    "Jaskolski",
    "Mante",
    "Gleichner",
    "Spinka",
    "Pagac",
    "Gerlach",
    "Steuber",
    "Noriega",
    "Wintheiser",
    "Quigley",
)
ZIPS = ("02155", "02139", "02143", "02301", "02302", "01890", "01801", "01841", "01843", "01060", "01062", "01605",
        "01609", "02740", "02744", "02649", "02653", "01902", "01420", "01453")  # fmt: skip


def _typo(name: str, rng: random.Random) -> str:
    """One edit after the first letter, as partner_claims.one_edit does."""
    i = rng.randrange(1, len(name) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def synthetic_population(seed: int, patients: int, members: int, strangers: int, outreach_events: int):
    """EHR patients (3% of pairs twins), claims members with noise, claims-only strangers,
    outreach by MRN (some unknown). Returns (rows, truth: source_id -> EHR id or None, twins)."""
    rng = random.Random(seed)
    ssns = rng.sample(range(100_000, 1_000_000), patients + strangers)  # 999-<2 digits>-<4 digits>
    rows, truth, people, twins = [], {}, [], set()

    def person(i, last=None, birth=None, zip5=None, address=None, exclude=""):
        gender = rng.choice("MF")
        first = rng.choice([n for n in (FIRST_F if gender == "F" else FIRST_M) if n != exclude])
        return {
            "id": f"{seed}-{i:05d}", "first": first, "gender": gender, "ssn": f"999-{ssns[i] // 10000:02d}-{ssns[i] % 10000:04d}",
            "last": last or rng.choice(LAST), "birth": birth or date(1930, 1, 1) + timedelta(days=rng.randrange(33000)),
            "zip": zip5 or rng.choice(ZIPS), "address": address or f"{rng.randint(1, 999)} {rng.choice(LAST)} Street",
        }  # fmt: skip

    i = 0
    while i < patients:
        p = person(i)
        people.append(p)
        if rng.random() < 0.03 and i + 1 < patients:
            twin = person(i + 1, p["last"], p["birth"], p["zip"], p["address"], exclude=p["first"])
            people.append(twin)
            twins |= {p["id"], twin["id"]}
            i += 1
        i += 1
    for p in people:
        rows.append(("ehr", p["id"], "MRN-" + p["id"], p["ssn"], f"{p['first']}{rng.randint(1, 999)}",
                     f"{p['last']}{rng.randint(1, 999)}", p["birth"], p["gender"], p["zip"], p["address"]))  # fmt: skip
    for n, p in enumerate(rng.sample(people, members)):
        first, last, ssn, gender, zip5, birth = (
            p["first"],
            p["last"],
            p["ssn"],
            p["gender"],
            p["zip"],
            p["birth"],
        )
        if rng.random() < 0.08:
            first = _typo(first, rng)
        if rng.random() < 0.04:
            last = _typo(last, rng)
        if rng.random() < 0.03:
            first, last = last, first
        if rng.random() < 0.30:
            ssn = None
        if rng.random() < 0.01:
            gender = "U"
        if rng.random() < 0.05:
            zip5 = rng.choice(ZIPS)
        if rng.random() < 0.01 and birth.day <= 12 and birth.day != birth.month:
            birth = birth.replace(month=birth.day, day=birth.month)
        member = f"bcbs:XBC{n:09d}"
        rows.append(("partner_claims", member, None, ssn, first, last, birth, gender, zip5, None))
        truth[member] = p["id"]
    for n in range(strangers):
        s = person(patients + n)
        member = f"aetna:W{n:09d}"
        rows.append(
            (
                "partner_claims",
                member,
                None,
                s["ssn"],
                s["first"],
                s["last"],
                s["birth"],
                s["gender"],
                s["zip"],
                None,
            )
        )
        truth[member] = None
    for p in rng.sample(people, outreach_events):
        rows.append(
            ("outreach", "MRN-" + p["id"], "MRN-" + p["id"], None, None, None, None, None, None, None)
        )
        truth["MRN-" + p["id"]] = p["id"]
    for n in range(10):
        rows.append(
            ("outreach", f"MRN-unknown-{n}", f"MRN-unknown-{n}", None, None, None, None, None, None, None)
        )
        truth[f"MRN-unknown-{n}"] = None
    return rows, truth, twins


@pytest.mark.spark
def test_synthetic_population_of_a_few_thousand(spark):
    rows, truth, twins = synthetic_population(
        seed=7, patients=3000, members=2000, strangers=300, outreach_events=500
    )
    started = time.perf_counter()
    result = resolve_identities(spark.createDataFrame(rows, SCHEMA), key=KEY)
    crosswalk = result.crosswalk.collect()
    elapsed = time.perf_counter() - started
    result.unpersist()

    assert len(crosswalk) == len(rows) == len({(r[0], r[1]) for r in rows})
    anchor_of = {pk(f"ehr:{r[1]}"): r[1] for r in rows if r[0] == "ehr"}
    linked = correct = 0
    for r in crosswalk:
        if r["source"] == "ehr":
            continue
        anchor = anchor_of.get(r["patient_key"])
        if anchor is not None:
            linked += 1
            correct += anchor == truth[r["source_id"]]
            # A record of one twin never carries the other twin's key.
            assert anchor == truth[r["source_id"]] or anchor not in twins, r["source_id"]
    relevant = sum(v is not None for v in truth.values())
    precision, recall = correct / linked, correct / relevant
    print(f"\nsynthetic population ({len(rows)} records, {len(twins)} twins): {result.summary}\n"
          f"precision {precision:.4f}, recall {recall:.4f}, {elapsed:.1f}s")  # fmt: skip
    assert precision == 1.0
    # Expected misses, from the noise rates. With an SSN (70%) a member links by ssn_dob or
    # by score whatever else is wrong. Without one (30%), it is missed when its given name
    # took a typo that drops Jaro-Winkler under 0.85 (8% typos x ~1/4 short names = 2%), a
    # typo together with a move (8% x 5% = 0.4%), or a transposed birth date (1%):
    # 0.3 x 3.4% ~ 1%, plus twin ties and chance ambiguities (~0.1%). The bound allows
    # twice that: 0.98.
    assert recall >= 0.98
    assert result.summary["unmatched_mrn"] == 10
    assert result.summary["mrn_exact"] == 500
    assert result.summary["ehr_self"] == 3000
