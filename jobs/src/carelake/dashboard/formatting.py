"""Values as the pages show them (``format_value``) and as their JSON blocks carry them
(``json_value``: plain JSON types, full precision, missing values as null).

A count the report views suppressed (null in a row flagged ``is_suppressed``) reads
``<11``; a rate hidden with it reads as missing."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

MISSING = "–"
SUPPRESSED = "<11"  # a count of 1 to 10, hidden under the cell-size rule (docs/measures/README.md)
COUNT_FORMATS = {"int"}


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def json_value(value: Any) -> Any:
    """One JSON-safe value: numpy scalars unwrapped, timestamps as ISO text, NaN/NA as null."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):  # numpy scalars
        value = value.item()
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != datetime.min.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def format_value(value: Any, fmt: str, suppressed: bool = False) -> str:
    """``value`` for a human: money with two decimals, rates as percentages, counts with commas;
    a missing count in a suppressed row is ``<11``."""
    value = json_value(value)
    if value is None:
        return SUPPRESSED if suppressed and fmt in COUNT_FORMATS else MISSING
    if fmt == "int":
        return f"{int(value):,}"
    if fmt == "money":
        return f"${value:,.2f}"
    if fmt == "pct":
        return f"{value:.1%}"
    if fmt == "days":
        return f"{value:,.2f}"
    if fmt == "bool":
        return "yes" if value else "no"
    if fmt == "datetime":
        return str(value)[:16]
    return str(value)


def money(value: Any) -> str:
    return format_value(value, "money")


def pct(value: Any) -> str:
    return format_value(value, "pct")
