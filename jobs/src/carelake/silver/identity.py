"""Identity resolution: the master patient index (MPI) that gives every person one key.

EHR patients, partner-claims members and care-management outreach records are linked to
one ``patient_key`` and the decision is recorded in a crosswalk. The rules, the scored
model, the threshold and the review process are described in docs/identity-resolution.md;
this module is the implementation.

Order of decisions for each non-EHR record (the first that applies wins):

1. ``mrn_exact``     the record carries an MRN that exactly one EHR patient has
                     (outreach records are resolved by MRN only: not found -> ``unmatched_mrn``).
2. ``ssn_dob``       same SSN and birth date as exactly one EHR patient, names compatible.
3. ``name_dob_zip``  same normalised first + last name (or swapped), birth date and zip5 as
                     exactly one EHR patient, and no conflicting SSN.
4. ``scored``        a Fellegi-Sunter match weight (log2 likelihood ratio) over candidate
                     pairs from blocking, at or over ``link_threshold`` and at least
                     ``ambiguity_margin`` ahead of the runner-up.
A deterministic rule that finds more than one EHR patient, a score that cannot separate
the best candidate from the next, or a household conflict (the chosen candidate's given name
disagrees while another candidate's agrees) makes the record ``ambiguous``: it is not
linked, keeps a key of its own and is listed for review. Below the threshold a record is
``unlinked``. A household guard vetoes pairs whose given name, sex and SSN together speak
against them, so shared last name, birth date and address never merge twins.

Only EHR patients are anchors: non-EHR records link to an EHR patient or stand alone, and
two EHR patients are never merged (``ehr_self``), so twins in the EHR always stay apart.

Spark shape: normalisation is native Spark expressions; candidate pairs come from an
equi-join on exploded blocking keys (EHR blocks larger than ``max_block_size`` are skipped);
scoring is one pandas UDF over the pairs (rapidfuzz Jaro-Winkler, numpy for the rest); the
per-record decision is a window + aggregation. Nothing is collected to the driver except
the per-rule counts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.pseudonym_key import PseudonymKey
from carelake.runtime import CACHE_LEVEL

# --------------------------------------------------------------------------------------
# Contract
# --------------------------------------------------------------------------------------

EHR, CLAIMS, OUTREACH = "ehr", "partner_claims", "outreach"

IDENTITY_RECORD_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),  # ehr | partner_claims | outreach
        T.StructField("source_id", T.StringType(), False),  # EHR id | <partner>:<member> | MRN
        T.StructField("mrn", T.StringType(), True),
        T.StructField("ssn", T.StringType(), True),
        T.StructField("first_name", T.StringType(), True),
        T.StructField("last_name", T.StringType(), True),
        T.StructField("birth_date", T.DateType(), True),
        T.StructField("gender", T.StringType(), True),
        T.StructField("zip5", T.StringType(), True),
        T.StructField("address_line", T.StringType(), True),
    ]
)

CROSSWALK_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("source_id", T.StringType(), False),
        T.StructField("patient_key", T.StringType(), False),
        T.StructField("rule", T.StringType(), False),
        T.StructField("score", T.DoubleType(), True),
        T.StructField("linked", T.BooleanType(), False),
    ]
)

REVIEW_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("source_id", T.StringType(), False),
        T.StructField("candidate_source_id", T.StringType(), True),
        T.StructField("candidate_patient_key", T.StringType(), True),
        T.StructField("score", T.DoubleType(), True),
        T.StructField("reason", T.StringType(), False),
    ]
)

EHR_SELF = "ehr_self"
MRN_EXACT = "mrn_exact"
SSN_DOB = "ssn_dob"
NAME_DOB_ZIP = "name_dob_zip"
SCORED = "scored"
UNLINKED = "unlinked"
AMBIGUOUS = "ambiguous"
UNMATCHED_MRN = "unmatched_mrn"
RULES: tuple[str, ...] = (
    EHR_SELF,
    MRN_EXACT,
    SSN_DOB,
    NAME_DOB_ZIP,
    SCORED,
    UNLINKED,
    AMBIGUOUS,
    UNMATCHED_MRN,
)
LINKED_RULES: frozenset[str] = frozenset({EHR_SELF, MRN_EXACT, SSN_DOB, NAME_DOB_ZIP, SCORED})

# Deterministic levels of a candidate pair (lower wins); scored pairs are LEVEL_SCORED.
LEVEL_MRN, LEVEL_SSN_DOB, LEVEL_NAME_DOB_ZIP, LEVEL_SCORED = 1, 2, 3, 9
DETERMINISTIC_RULE_OF_LEVEL = {LEVEL_MRN: MRN_EXACT, LEVEL_SSN_DOB: SSN_DOB, LEVEL_NAME_DOB_ZIP: NAME_DOB_ZIP}

# --------------------------------------------------------------------------------------
# The model: m/u probabilities per field and agreement level (docs/identity-resolution.md)
# --------------------------------------------------------------------------------------

# (m, u): m = P(level | same person), u = P(level | two random different people).
# A level's weight is log2(m / u) bits; a missing value on either side weighs 0.
DEFAULT_M_U: Mapping[str, Mapping[str, tuple[float, float]]] = MappingProxyType(
    {
        "first_name": MappingProxyType(
            {
                "exact": (0.90, 0.01),
                "close": (0.06, 0.005),
                "similar": (0.02, 0.02),
                "disagree": (0.02, 0.965),
            }
        ),
        "last_name": MappingProxyType(
            {
                "exact": (0.92, 0.005),
                "close": (0.04, 0.003),
                "similar": (0.01, 0.01),
                "disagree": (0.03, 0.982),
            }
        ),
        "birth_date": MappingProxyType(
            {"exact": (0.97, 1 / 29220), "partial": (0.02, 0.004), "disagree": (0.01, 0.996)}
        ),
        "zip": MappingProxyType({"exact": (0.85, 0.02), "zip3": (0.08, 0.10), "disagree": (0.07, 0.88)}),
        "gender": MappingProxyType({"agree": (0.99, 0.5), "disagree": (0.01, 0.5)}),
        "ssn": MappingProxyType({"exact": (0.95, 1e-6), "partial": (0.03, 1e-4), "disagree": (0.02, 0.9999)}),
    }
)


@dataclass(frozen=True)
class MatchSettings:
    """Tunable parameters of the matcher. The defaults are the documented model."""

    link_threshold: float = 24.5  # bits; a scored link needs at least this match weight
    ambiguity_margin: float = 5.0  # bits; the best candidate must lead the runner-up by this
    swap_penalty: float = 1.0  # bits charged when names only agree with first/last swapped
    jw_close: float = 0.92  # Jaro-Winkler at or over this: "close" (one typo in a 6+ letter name)
    jw_similar: float = 0.85  # Jaro-Winkler at or over this: "similar" (weight about 0)
    max_block_size: int = 1000  # EHR patients per blocking key; larger blocks are skipped
    m_u: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=lambda: DEFAULT_M_U)

    def weight(self, field_name: str, level: str) -> float:
        m, u = self.m_u[field_name][level]
        return math.log2(m / u)

    def weights(self) -> dict[str, dict[str, float]]:
        """Every field's level weights in bits (for docs, tests and the review screen)."""
        return {f: {lvl: round(self.weight(f, lvl), 2) for lvl in levels} for f, levels in self.m_u.items()}


DEFAULT_SETTINGS = MatchSettings()


@dataclass
class IdentityResolution:
    """What :func:`resolve_identities` returns. Frames are persisted: call :meth:`unpersist`."""

    crosswalk: DataFrame
    review: DataFrame
    summary: dict[str, int]
    persisted: tuple[DataFrame, ...] = ()

    def unpersist(self) -> None:
        for frame in self.persisted:
            frame.unpersist()


# --------------------------------------------------------------------------------------
# Normalisation: the pure-Python reference, and the same as native Spark expressions
# --------------------------------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter + accent.
_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_APOSTROPHES = re.compile(r"['’`ʼ]")
_NOT_LETTER = re.compile(r"[^a-z]+")
_NOT_DIGIT = re.compile(r"[^0-9]")
# Generational suffixes dropped from the end of a name: "Smith Jr." -> "smith".
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_PLACEHOLDER_SSNS = frozenset({"123456789", "987654321", "078051120"})  # 078-05-1120: the Woolworth card


def _ascii_letters(text: str) -> str:
    """NFKD, combining marks dropped, letters Unicode does not decompose spelled out."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_SPECIAL_LETTERS)


def normalize_name(value: str | None) -> str | None:
    """Lower-case tokens joined by one space; None when nothing is left.

    Strips accents (``José`` -> ``jose``), Synthea's digits (``Maynard46`` -> ``maynard``),
    apostrophes (``O'Brien`` -> ``obrien``), turns hyphens and other punctuation into spaces
    (``Smith-Jones`` -> ``smith jones``) and drops a trailing Jr/Sr/II/III/IV.
    """
    if value is None:
        return None
    text = _ascii_letters(str(value).casefold())
    text = _APOSTROPHES.sub("", text)
    tokens = _NOT_LETTER.sub(" ", text).split()
    while len(tokens) > 1 and tokens[-1] in _NAME_SUFFIXES:
        tokens.pop()
    return " ".join(tokens) or None


def compact_name(value: str | None) -> str | None:
    """A normalised name without spaces: ``smith jones`` and ``smithjones`` compare equal."""
    return None if value is None else value.replace(" ", "")


def normalize_ssn(value: str | None) -> str | None:
    """Nine digits, or None for a missing or impossible SSN (000/666 area, 00 group, 0000 serial,
    one repeated digit, well-known placeholders). Synthea's 999-xx-xxxx range is kept."""
    if value is None:
        return None
    digits = _NOT_DIGIT.sub("", str(value))
    if len(digits) != 9 or digits in _PLACEHOLDER_SSNS or len(set(digits)) == 1:
        return None
    if digits[:3] in ("000", "666") or digits[3:5] == "00" or digits[5:] == "0000":
        return None
    return digits


def normalize_zip5(value: str | None) -> str | None:
    """Five digits: ZIP+4 is cut, a ZIP that lost its leading zeros (``2155``) is padded."""
    if value is None:
        return None
    digits = _NOT_DIGIT.sub("", str(value))
    if len(digits) == 9:
        digits = digits[:5]
    if 3 <= len(digits) <= 4:
        digits = digits.zfill(5)
    return digits if len(digits) == 5 and digits != "00000" else None


def normalize_gender(value: str | None) -> str | None:
    """``M`` or ``F``; ``U``, empty and anything else are unknown (None)."""
    if value is None:
        return None
    text = "".join(str(value).split()).upper()[:1]
    return text if text in ("M", "F") else None


# The same normalisation as Spark column expressions (no Python worker). The functions above
# are the reference; tests/unit/test_identity.py checks that both agree.


def _letter_maps() -> tuple[str, str, dict[str, str]]:
    """translate() strings for letters that become one ASCII letter (``é`` -> ``e``), and
    the letters that become several (``ß`` -> ``ss``), over the Latin blocks, Latin
    Extended Additional, the ligatures and the fullwidth forms."""
    blocks = (range(0xC0, 0x250), range(0x1E00, 0x1F00), range(0xFB00, 0xFB07), range(0xFF21, 0xFF5B))
    source, target, several = [], [], {}
    for block in blocks:
        for code in block:
            letter = chr(code)
            base = _ascii_letters(letter.casefold())
            if not base or not base.isascii() or not base.isalpha() or base == letter:
                continue
            if len(base) == 1:
                source.append(letter)
                target.append(base)
            else:
                several[letter] = base
    return "".join(source), "".join(target), several


_TRANSLATE_FROM, _TRANSLATE_TO, _SEVERAL_LETTERS = _letter_maps()
# ("ae", "ÆæǢǣǼǽ"), ...: one regexp_replace (a character class) per spelling.
_SPELLED_OUT = tuple(
    (spelled, "".join(sorted(k for k, v in _SEVERAL_LETTERS.items() if v == spelled)))
    for spelled in sorted(set(_SEVERAL_LETTERS.values()))
)
_SUFFIX_PATTERN = "( (" + "|".join(sorted(_NAME_SUFFIXES)) + "))+$"


def normalized_name(name: Column) -> Column:
    """:func:`normalize_name` as a Spark expression."""
    text = F.regexp_replace(F.lower(name), r"\p{M}", "")
    for spelled, letters in _SPELLED_OUT:
        text = F.regexp_replace(text, f"[{letters}]", spelled)
    text = F.translate(text, _TRANSLATE_FROM, _TRANSLATE_TO)
    text = F.regexp_replace(text, _APOSTROPHES.pattern, "")
    text = F.trim(F.regexp_replace(text, "[^a-z]+", " "))
    text = F.regexp_replace(text, _SUFFIX_PATTERN, "")
    return F.when(text != "", text)


def normalized_ssn(ssn: Column) -> Column:
    """:func:`normalize_ssn` as a Spark expression."""
    digits = F.regexp_replace(ssn, "[^0-9]", "")
    valid = (
        (F.length(digits) == 9)
        & ~digits.isin(*sorted(_PLACEHOLDER_SSNS))
        & ~digits.rlike(r"^(\d)\1{8}$")
        & ~F.substring(digits, 1, 3).isin("000", "666")
        & (F.substring(digits, 4, 2) != "00")
        & (F.substring(digits, 6, 4) != "0000")
    )
    return F.when(valid, digits)


def normalized_zip5(zip5: Column) -> Column:
    """:func:`normalize_zip5` as a Spark expression."""
    digits = F.regexp_replace(zip5, "[^0-9]", "")
    digits = (
        F.when(F.length(digits) == 9, F.substring(digits, 1, 5))
        .when(F.length(digits).between(3, 4), F.lpad(digits, 5, "0"))
        .otherwise(digits)
    )
    return F.when((F.length(digits) == 5) & (digits != "00000"), digits)


def normalized_gender(gender: Column) -> Column:
    """:func:`normalize_gender` as a Spark expression."""
    letter = F.upper(F.substring(F.regexp_replace(gender, r"\s", ""), 1, 1))
    return F.when(letter.isin("M", "F"), letter)


# --------------------------------------------------------------------------------------
# Comparison and scoring of candidate pairs (vectorised pandas/numpy; one pandas UDF)
# --------------------------------------------------------------------------------------

# Input columns of score_pairs: q_* is the record to resolve, e_* the EHR candidate.
PAIR_INPUT_COLUMNS = (
    "q_mrn", "q_first", "q_last", "q_dob", "q_zip", "q_gender", "q_ssn",
    "e_mrn", "e_first", "e_last", "e_dob", "e_zip", "e_gender", "e_ssn",
)  # fmt: skip

PAIR_SCORE_SCHEMA = T.StructType(
    [
        T.StructField("score", T.DoubleType(), True),  # Arrow hands pandas UDF structs back nullable
        T.StructField("level", T.IntegerType(), True),
        T.StructField("vetoed", T.BooleanType(), True),
        T.StructField("given", T.StringType(), True),  # given-name level in the chosen orientation
        T.StructField("detail", T.StringType(), True),
    ]
)


def _strings(values: pd.Series) -> list[str]:
    return ["" if v is None or pd.isna(v) else str(v) for v in values]


def name_levels(a: pd.Series, b: pd.Series, settings: MatchSettings) -> np.ndarray:
    """Agreement level of two normalised name columns, element-wise.

    ``exact`` (equal without spaces), ``close`` (Jaro-Winkler >= jw_close, or one name's
    tokens are all in the other: ``garcia`` vs ``garcia lopez``), ``similar``
    (Jaro-Winkler >= jw_similar), ``disagree``, or ``missing`` when either side is empty.
    """
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    left, right = _strings(a), _strings(b)
    if not left:
        return np.array([], dtype=object)
    left_c, right_c = [s.replace(" ", "") for s in left], [s.replace(" ", "") for s in right]
    present = np.array([bool(x) and bool(y) for x, y in zip(left_c, right_c, strict=True)], dtype=bool)
    jw = np.asarray(
        cpdist(left_c, right_c, scorer=JaroWinkler.similarity, dtype=np.float64), dtype=np.float64
    )
    exact = np.array([x == y for x, y in zip(left_c, right_c, strict=True)], dtype=bool)
    subset = np.array(
        [
            bool(x)
            and bool(y)
            and (" " in x or " " in y)
            and (set(x.split()) <= set(y.split()) or set(y.split()) <= set(x.split()))
            for x, y in zip(left, right, strict=True)
        ],
        dtype=bool,
    )
    levels = np.select(
        [~present, exact, (jw >= settings.jw_close) | subset, jw >= settings.jw_similar],
        ["missing", "exact", "close", "similar"],
        default="disagree",
    ).astype(object)
    return levels


def _dob_parts(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = values.astype("string")
    year = pd.to_numeric(text.str.slice(0, 4), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    month = pd.to_numeric(text.str.slice(5, 7), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    day = pd.to_numeric(text.str.slice(8, 10), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return year, month, day


def dob_levels(a: pd.Series, b: pd.Series) -> np.ndarray:
    """``exact``; ``partial`` = exactly one of year/month/day differs, or day and month are
    transposed; ``disagree``; ``missing``. Dates are ISO ``YYYY-MM-DD`` strings."""
    ay, am, ad = _dob_parts(a)
    by, bm, bd = _dob_parts(b)
    present = ~(np.isnan(ay) | np.isnan(by))
    same = (ay == by).astype(int) + (am == bm).astype(int) + (ad == bd).astype(int)
    transposed = (ay == by) & (am == bd) & (ad == bm)
    return np.select(
        [~present, same == 3, (same == 2) | transposed], ["missing", "exact", "partial"], default="disagree"
    ).astype(object)


def zip_levels(a: pd.Series, b: pd.Series) -> np.ndarray:
    """``exact`` zip5, ``zip3`` (same first three digits), ``disagree``, ``missing``."""
    left, right = _strings(a), _strings(b)
    present = np.array([len(x) == 5 and len(y) == 5 for x, y in zip(left, right, strict=True)], dtype=bool)
    exact = np.array([x == y for x, y in zip(left, right, strict=True)], dtype=bool)
    zip3 = np.array([x[:3] == y[:3] for x, y in zip(left, right, strict=True)], dtype=bool)
    return np.select([~present, exact, zip3], ["missing", "exact", "zip3"], default="disagree").astype(object)


def gender_levels(a: pd.Series, b: pd.Series) -> np.ndarray:
    left, right = _strings(a), _strings(b)
    present = np.array([bool(x) and bool(y) for x, y in zip(left, right, strict=True)], dtype=bool)
    same = np.array([x == y for x, y in zip(left, right, strict=True)], dtype=bool)
    return np.select([~present, same], ["missing", "agree"], default="disagree").astype(object)


def _ssn_close(x: str, y: str) -> bool:
    """One digit substituted, two adjacent digits transposed, or the same last four."""
    if x[5:] == y[5:]:
        return True
    diffs = [i for i in range(9) if x[i] != y[i]]
    if len(diffs) == 1:
        return True
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and x[diffs[0]] == y[diffs[1]]
        and x[diffs[1]] == y[diffs[0]]
    )


def ssn_levels(a: pd.Series, b: pd.Series) -> np.ndarray:
    """``exact``, ``partial`` (a one-digit typo, a transposition or the same last four),
    ``disagree`` (a conflicting SSN), ``missing``."""
    left, right = _strings(a), _strings(b)
    out = []
    for x, y in zip(left, right, strict=True):
        if len(x) != 9 or len(y) != 9:
            out.append("missing")
        elif x == y:
            out.append("exact")
        else:
            out.append("partial" if _ssn_close(x, y) else "disagree")
    return np.array(out, dtype=object)


def _weights(field_name: str, levels: np.ndarray, settings: MatchSettings) -> np.ndarray:
    table = {lvl: settings.weight(field_name, lvl) for lvl in settings.m_u[field_name]}
    return np.array([table.get(lvl, 0.0) for lvl in levels], dtype=np.float64)


def _mrn_equal(pairs: pd.DataFrame) -> np.ndarray:
    if "q_mrn" not in pairs or "e_mrn" not in pairs:
        return np.zeros(len(pairs), dtype=bool)
    left, right = _strings(pairs["q_mrn"]), _strings(pairs["e_mrn"])
    return np.array([bool(x) and x == y for x, y in zip(left, right, strict=True)], dtype=bool)


def score_pairs(pairs: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame:
    """Score candidate pairs (columns :data:`PAIR_INPUT_COLUMNS`, normalised values, dates as
    ISO strings; the MRN columns may be absent). Returns ``score`` (bits, rounded to 4
    decimals), ``level`` (deterministic rule level or LEVEL_SCORED), ``vetoed``, ``given``
    (the given-name level) and a human-readable ``detail``.

    Names are compared straight and swapped; the better orientation counts (swapped pays
    ``swap_penalty``). A pair is vetoed (never linked, never a runner-up) when its
    person-specific evidence (given name + sex + SSN weights, a near-miss SSN counting 0) is
    negative, so household attributes (last name, birth date, zip) cannot outweigh a
    disagreeing given name (twins), or when neither name part is at least similar.
    """
    first = name_levels(pairs["q_first"], pairs["e_first"], settings)
    last = name_levels(pairs["q_last"], pairs["e_last"], settings)
    first_x = name_levels(pairs["q_first"], pairs["e_last"], settings)
    last_x = name_levels(pairs["q_last"], pairs["e_first"], settings)
    straight = _weights("first_name", first, settings) + _weights("last_name", last, settings)
    swapped_w = _weights("first_name", last_x, settings) + _weights("last_name", first_x, settings)
    swapped_w = swapped_w - settings.swap_penalty
    swapped = swapped_w > straight
    name_w = np.where(swapped, swapped_w, straight)
    first_lvl = np.where(swapped, last_x, first)  # the given-name comparison in the chosen orientation
    last_lvl = np.where(swapped, first_x, last)

    dob = dob_levels(pairs["q_dob"], pairs["e_dob"])
    zips = zip_levels(pairs["q_zip"], pairs["e_zip"])
    gender = gender_levels(pairs["q_gender"], pairs["e_gender"])
    ssn = ssn_levels(pairs["q_ssn"], pairs["e_ssn"])
    score = (
        name_w
        + _weights("birth_date", dob, settings)
        + _weights("zip", zips, settings)
        + _weights("gender", gender, settings)
        + _weights("ssn", ssn, settings)
    )

    mrn_exact = _mrn_equal(pairs)
    names_exact = ((first == "exact") & (last == "exact")) | ((first_x == "exact") & (last_x == "exact"))
    agreeing = ("exact", "close", "similar")
    names_compatible = np.isin(first_lvl, agreeing) | np.isin(last_lvl, agreeing)
    ssn_conflict = ssn == "disagree"
    ssn_dob = (ssn == "exact") & (dob == "exact") & names_compatible
    name_dob_zip = names_exact & (dob == "exact") & (zips == "exact") & ~ssn_conflict
    # Household guard: last name, birth date (twins), address and zip are shared inside a
    # household, so they cannot tell its members apart; only the given name, SSN and sex can.
    # A near-miss SSN counts for nothing here: twins are often enumerated at birth with
    # consecutive numbers. A pair whose person-specific evidence is negative, or whose names
    # agree in neither part, is never linked.
    ssn_person = np.where(ssn == "partial", "missing", ssn)
    person_evidence = (
        _weights("first_name", first_lvl, settings)
        + _weights("gender", gender, settings)
        + _weights("ssn", ssn_person, settings)
    )
    vetoed = (person_evidence < 0) | ~names_compatible
    level = np.select(
        [mrn_exact, ssn_dob, name_dob_zip],
        [LEVEL_MRN, LEVEL_SSN_DOB, LEVEL_NAME_DOB_ZIP],
        default=LEVEL_SCORED,
    )
    detail = [
        f"{'mrn=exact ' if m else ''}first={f} last={la} dob={d} zip={z} gender={g} ssn={s}"
        f"{' swapped' if sw else ''}{' VETO' if v else ''}"
        for m, f, la, d, z, g, s, sw, v in zip(
            mrn_exact, first_lvl, last_lvl, dob, zips, gender, ssn, swapped, vetoed, strict=True
        )
    ]
    return pd.DataFrame(
        {
            "score": np.round(score, 4),
            "level": level.astype(np.int32),
            "vetoed": vetoed.astype(bool),
            "given": first_lvl.astype(str),
            "detail": detail,
        }
    )


def _score_udf(settings: MatchSettings):  # type: ignore[no-untyped-def]
    def score(pairs: pd.DataFrame) -> pd.DataFrame:
        return score_pairs(pairs, settings)

    return F.pandas_udf(score, PAIR_SCORE_SCHEMA)  # type: ignore[call-overload]


# --------------------------------------------------------------------------------------
# Spark: normalise, block, score, decide
# --------------------------------------------------------------------------------------


def patient_key(anchor: Column, key: PseudonymKey) -> Column:
    """``pk-`` + the first 16 hex digits of HMAC-SHA256(key, anchor); anchor = ``<source>:<source_id>``.
    Keyed, so nobody without the secret can recompute it from source ids (carelake.pseudonym_key)."""
    return key.column(anchor)


def ehr_anchor(ehr_source_id: Column) -> Column:
    return F.concat(F.lit(f"{EHR}:"), ehr_source_id)


def normalized_records(records: DataFrame) -> DataFrame:
    """source, source_id, mrn, dob (ISO string), first_n, last_n, ssn_n, zip_n, gender_n."""
    return records.select(
        "source",
        "source_id",
        F.nullif(F.trim("mrn"), F.lit("")).alias("mrn"),
        F.date_format("birth_date", "yyyy-MM-dd").alias("dob"),
        normalized_name(F.col("first_name")).alias("first_n"),
        normalized_name(F.col("last_name")).alias("last_n"),
        normalized_ssn(F.col("ssn")).alias("ssn_n"),
        normalized_zip5(F.col("zip5")).alias("zip_n"),
        normalized_gender(F.col("gender")).alias("gender_n"),
    )


def _blocking_keys(query_side: bool) -> Column:
    """Blocking keys of a record. A pair is a candidate when the two share any key:

    ``m|<mrn>``; ``d|<birth date>``; ``y|<birth year>|<zip3>|<initial of last name>`` (on
    the query side also with the first name's initial, for swapped names); ``s|<ssn>``.
    Outreach records get the MRN key only: they are resolved by MRN alone.
    """
    demographic = F.col("source") != OUTREACH
    has_dob = demographic & F.col("dob").isNotNull()
    year_zip3 = F.concat_ws("|", F.lit("y"), F.substring("dob", 1, 4), F.substring("zip_n", 1, 3))
    keys = [
        F.when(F.col("mrn").isNotNull(), F.concat(F.lit("m|"), F.col("mrn"))),
        F.when(has_dob, F.concat(F.lit("d|"), F.col("dob"))),
        F.when(
            has_dob & F.col("zip_n").isNotNull() & F.col("last_n").isNotNull(),
            F.concat_ws("|", year_zip3, F.substring("last_n", 1, 1)),
        ),
        F.when(demographic & F.col("ssn_n").isNotNull(), F.concat(F.lit("s|"), F.col("ssn_n"))),
    ]
    if query_side:
        keys.append(
            F.when(
                has_dob & F.col("zip_n").isNotNull() & F.col("first_n").isNotNull(),
                F.concat_ws("|", year_zip3, F.substring("first_n", 1, 1)),
            )
        )
    return F.array_distinct(F.filter(F.array(*keys), lambda k: k.isNotNull()))


_ATTRS = ("mrn", "first_n", "last_n", "dob", "zip_n", "gender_n", "ssn_n")
_PAIR_ALIASES = {
    "mrn": "mrn",
    "first_n": "first",
    "last_n": "last",
    "dob": "dob",
    "zip_n": "zip",
    "gender_n": "gender",
    "ssn_n": "ssn",
}


def _candidate_pairs(query: DataFrame, ehr: DataFrame, settings: MatchSettings) -> DataFrame:
    """(query record, EHR patient) pairs sharing a blocking key, with both sides' normalised
    attributes; a pair sharing several keys appears once per key. EHR blocks over
    ``max_block_size`` are skipped (placeholder birth dates such as 1900-01-01 would
    otherwise pair everybody with everybody)."""
    q = query.select(
        F.col("source").alias("q_source"),
        F.col("source_id").alias("q_source_id"),
        *[F.col(c).alias(f"q_{_PAIR_ALIASES[c]}") for c in _ATTRS],
        F.explode(_blocking_keys(query_side=True)).alias("block"),
    )
    e = ehr.select(
        F.col("source_id").alias("e_source_id"),
        *[F.col(c).alias(f"e_{_PAIR_ALIASES[c]}") for c in _ATTRS],
        F.explode(_blocking_keys(query_side=False)).alias("block"),
    )
    e = e.withColumn("block_size", F.count(F.lit(1)).over(Window.partitionBy("block")))
    e = e.where(F.col("block_size") <= settings.max_block_size).drop("block_size")
    return q.join(e, "block").drop("block")


def _scored_pairs(query: DataFrame, ehr: DataFrame, settings: MatchSettings) -> DataFrame:
    """Distinct scored pairs, partitioned by the query record.

    Scored before the dedup: a Python UDF hides the partitioning from Spark, so scoring
    right after the join and then shuffling once by the query record lets the dedup, the
    ranking window and the per-record aggregation share that one shuffle. (A pair sharing
    several keys, mostly true matches, is scored more than once.)"""
    pairs = _candidate_pairs(query, ehr, settings)
    scored = _score_udf(settings)(F.struct(*[F.col(c) for c in PAIR_INPUT_COLUMNS]))
    return (
        pairs.select("q_source", "q_source_id", "e_source_id", scored.alias("s"))
        .select(
            "q_source", "q_source_id", "e_source_id", "s.score", "s.level", "s.vetoed", "s.given", "s.detail"
        )
        .repartition("q_source", "q_source_id")
        .dropDuplicates(["q_source", "q_source_id", "e_source_id"])
    )


def _ranked_pairs(pairs: DataFrame, settings: MatchSettings) -> DataFrame:
    """Per query record: its best deterministic level, the scored candidates ranked by score
    (ties by EHR id, so the order never depends on partitioning) and the best score."""
    record = Window.partitionBy("q_source", "q_source_id")
    eligible = F.col("score").isNotNull() & ~F.col("vetoed")
    ranked_by_score = record.orderBy(F.when(eligible, F.col("score")).desc_nulls_last(), F.col("e_source_id"))
    return (
        pairs.withColumn("eligible", eligible)
        .withColumn("given_agrees", eligible & F.col("given").isin("exact", "close"))
        .withColumn("det_level", F.min(F.when(F.col("level") < LEVEL_SCORED, F.col("level"))).over(record))
        .withColumn("best_score", F.max(F.when(eligible, F.col("score"))).over(record))
        .withColumn("rank", F.row_number().over(ranked_by_score))
        .withColumn(
            "within_margin",
            F.col("eligible") & (F.col("score") >= F.col("best_score") - F.lit(settings.ambiguity_margin)),
        )
    )


def _rule_of_level(level: Column) -> Column:
    pairs = [x for lvl, rule in DETERMINISTIC_RULE_OF_LEVEL.items() for x in (F.lit(lvl), F.lit(rule))]
    return F.element_at(F.create_map(*pairs), level)


def _decisions(
    records: DataFrame, ranked: DataFrame, settings: MatchSettings, key: PseudonymKey
) -> DataFrame:
    """One row per input record: rule, anchor, score, patient key and why (for review)."""
    at_det = F.col("level") == F.col("det_level")
    top = (F.col("rank") == 1) & F.col("eligible")
    second = (F.col("rank") == 2) & F.col("eligible")
    per_record = ranked.groupBy("q_source", "q_source_id").agg(
        F.min("det_level").alias("det_level"),
        F.sum(F.when(at_det, 1).otherwise(0)).alias("n_det"),
        F.min(F.when(at_det, F.col("e_source_id"))).alias("det_anchor"),
        F.max(F.when(at_det & (F.col("level") != LEVEL_MRN), F.col("score"))).alias("det_score"),
        F.max(F.when(at_det, F.col("given") == "disagree")).alias("det_given_disagrees"),
        F.max(F.when(top, F.col("score"))).alias("s1"),
        F.max(F.when(top, F.col("e_source_id"))).alias("s1_anchor"),
        F.max(F.when(top, F.col("given") == "disagree")).alias("s1_given_disagrees"),
        F.max(F.when(second, F.col("score"))).alias("s2"),
        F.sum(F.when(F.col("within_margin"), 1).otherwise(0)).alias("n_within"),
        F.sum(F.when(F.col("given_agrees"), 1).otherwise(0)).alias("n_given_agree"),
    )
    threshold, margin = settings.link_threshold, settings.ambiguity_margin
    # Household conflict: the chosen candidate's given name disagrees while another
    # candidate's agrees (a sibling's SSN on the claim, a twin): never decided by a machine.
    det_conflict = F.coalesce(F.col("det_given_disagrees"), F.lit(False)) & (F.col("n_given_agree") > 0)
    s1_conflict = F.coalesce(F.col("s1_given_disagrees"), F.lit(False)) & (F.col("n_given_agree") > 0)
    over = F.col("s1") >= F.lit(threshold)
    separable = F.col("s2").isNull() | (F.col("s1") - F.col("s2") >= F.lit(margin))
    has_det = F.col("det_level").isNotNull()
    rule = (
        F.when(F.col("source") == EHR, F.lit(EHR_SELF))
        .when(has_det & (F.col("n_det") == 1) & ~det_conflict, _rule_of_level(F.col("det_level")))
        .when(has_det, F.lit(AMBIGUOUS))
        .when(F.col("source") == OUTREACH, F.lit(UNMATCHED_MRN))
        .when(over & separable & ~s1_conflict, F.lit(SCORED))
        .when(over, F.lit(AMBIGUOUS))
        .otherwise(F.lit(UNLINKED))
    )
    household = "a candidate whose given name disagrees leads while another candidate's given name agrees"
    why = (
        F.when(
            has_det & (F.col("n_det") > 1),
            F.format_string(
                "rule %s matches %d EHR patients", _rule_of_level(F.col("det_level")), F.col("n_det")
            ),
        )
        .when(
            has_det,
            F.format_string(
                "rule %s: %s (household or twin mix-up?)",
                _rule_of_level(F.col("det_level")),
                F.lit(household),
            ),
        )
        .when(
            ~separable,
            F.format_string(
                "%d candidates within %.1f bits of the best score %.2f (threshold %.1f)",
                F.col("n_within"),
                F.lit(margin),
                F.col("s1"),
                F.lit(threshold),
            ),
        )
        .otherwise(
            F.format_string("scored %.2f: %s (household or twin mix-up?)", F.col("s1"), F.lit(household))
        )
    )
    decided = (
        records.select("source", "source_id", "mrn")
        .join(
            per_record,
            (F.col("source") == F.col("q_source")) & (F.col("source_id") == F.col("q_source_id")),
            "left",
        )
        .withColumn("rule", rule)
    )
    anchor = (
        F.when(F.col("rule") == EHR_SELF, F.col("source_id"))
        .when(F.col("rule").isin(MRN_EXACT, SSN_DOB, NAME_DOB_ZIP), F.col("det_anchor"))
        .when(F.col("rule") == SCORED, F.col("s1_anchor"))
    )
    score = (
        F.when(F.col("rule") == EHR_SELF, F.lit(None).cast("double"))
        .when(has_det, F.col("det_score"))
        .otherwise(F.col("s1"))
    )
    key_anchor = F.when(F.col("anchor").isNotNull(), ehr_anchor(F.col("anchor"))).otherwise(
        F.concat_ws(":", F.col("source"), F.col("source_id"))
    )
    return (
        decided.withColumn("anchor", anchor)
        .withColumn("score", score)
        .withColumn("linked", F.col("anchor").isNotNull())
        .withColumn("patient_key", patient_key(key_anchor, key))
        .withColumn("why", F.when(F.col("rule") == AMBIGUOUS, why))
        .withColumn("conflict", F.when(has_det, det_conflict).otherwise(s1_conflict))
        .select(
            "source",
            "source_id",
            "mrn",
            "patient_key",
            "rule",
            "score",
            "linked",
            "det_level",
            "conflict",
            "why",
        )
    )


def _review(decisions: DataFrame, ranked: DataFrame, key: PseudonymKey) -> DataFrame:
    """Ambiguous records with each candidate a reviewer should look at; unmatched MRNs."""
    ambiguous = decisions.where(F.col("rule") == AMBIGUOUS).select(
        F.col("source").alias("q_source"),
        F.col("source_id").alias("q_source_id"),
        F.col("det_level").alias("record_det_level"),
        "conflict",
        "why",
    )
    shown = F.when(
        F.col("record_det_level").isNotNull(), F.col("level") == F.col("record_det_level")
    ).otherwise(F.col("within_margin")) | (F.col("conflict") & F.col("given_agrees"))
    ambiguous_rows = (
        ranked.join(ambiguous, ["q_source", "q_source_id"])
        .where(shown)
        .select(
            F.col("q_source").alias("source"),
            F.col("q_source_id").alias("source_id"),
            F.col("e_source_id").alias("candidate_source_id"),
            patient_key(ehr_anchor(F.col("e_source_id")), key).alias("candidate_patient_key"),
            F.when(F.col("level") != LEVEL_MRN, F.col("score")).alias("score"),
            F.concat(F.lit("ambiguous: "), F.col("why"), F.lit("; this candidate: "), F.col("detail")).alias(
                "reason"
            ),
        )
    )
    unmatched_rows = decisions.where(F.col("rule") == UNMATCHED_MRN).select(
        "source",
        "source_id",
        F.lit(None).cast("string").alias("candidate_source_id"),
        F.lit(None).cast("string").alias("candidate_patient_key"),
        F.lit(None).cast("double").alias("score"),
        F.when(F.col("mrn").isNull(), F.lit("unmatched_mrn: the record carries no MRN"))
        .otherwise(F.lit("unmatched_mrn: no EHR patient has this MRN"))
        .alias("reason"),
    )
    return ambiguous_rows.unionByName(unmatched_rows)


def resolve_identities(
    records: DataFrame, settings: MatchSettings = DEFAULT_SETTINGS, *, key: PseudonymKey
) -> IdentityResolution:
    """Link identity records (:data:`IDENTITY_RECORD_SCHEMA`, unique by source + source_id)
    to one patient key each. Returns the crosswalk (one row per input record), the review
    list (ambiguous and unmatched records with their candidates) and counts per rule.
    ``key`` is the secret patient keys are keyed with (carelake.pseudonym_key).

    The normalised records, the scored pairs and the per-record decisions are persisted
    (the summary is computed from them, the crosswalk and review are read from them): call
    ``IdentityResolution.unpersist()`` once both are written.
    """
    # Persisted: read by the EHR side, the query side and the decisions.
    norm = normalized_records(records).persist(CACHE_LEVEL)
    ehr = norm.where(F.col("source") == EHR)
    others = norm.where(F.col("source") != EHR)
    ranked = _ranked_pairs(_scored_pairs(others, ehr, settings), settings).persist(CACHE_LEVEL)
    decisions = _decisions(norm, ranked, settings, key).persist(CACHE_LEVEL)

    crosswalk = decisions.select(
        "source", "source_id", "patient_key", "rule", F.col("score").cast("double"), "linked"
    )
    review = _review(decisions, ranked, key)
    counts = {row["rule"]: row["count"] for row in decisions.groupBy("rule").count().collect()}
    summary = {rule: int(counts.get(rule, 0)) for rule in RULES}
    return IdentityResolution(
        crosswalk=crosswalk, review=review, summary=summary, persisted=(norm, ranked, decisions)
    )
