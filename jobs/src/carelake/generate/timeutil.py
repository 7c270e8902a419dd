"""Time helpers: US Eastern wall-clock times the way Synthea writes them.

The generator keeps every instant as integer seconds since the Unix epoch (UTC).
FHIR output shows local time with its offset (``-05:00`` in winter, ``-04:00`` in
summer), the CSV export shows UTC with ``Z``, exactly like Synthea.

The US daylight-saving rule is computed here instead of reading the system time zone
database, so output never depends on the machine's tzdata.
"""

from __future__ import annotations

import calendar
import time
from datetime import date, timedelta
from functools import lru_cache

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600

# Every generated clinical time falls between these local hours (06:00 to 18:59), so the
# local calendar date and the UTC calendar date of a timestamp are always the same day.
# Readmission measures count calendar days; this keeps "day 30" unambiguous.
EARLIEST_LOCAL_HOUR = 6
LATEST_LOCAL_HOUR = 18


def _nth_sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    days_to_sunday = (6 - first.weekday()) % 7
    return first + timedelta(days=days_to_sunday + 7 * (nth - 1))


@lru_cache(maxsize=256)
def dst_dates(year: int) -> tuple[date, date]:
    """First and last-plus-one local dates of daylight saving time (rules since 2007)."""
    return _nth_sunday(year, 3, 2), _nth_sunday(year, 11, 1)


@lru_cache(maxsize=1 << 14)
def utc_offset_hours(day: date) -> int:
    """-4 on daylight-saving dates, -5 otherwise (valid for local times after 03:00)."""
    start, end = dst_dates(day.year)
    return -4 if start <= day < end else -5


def day_epoch(day: date) -> int:
    """Seconds since the epoch of 00:00 UTC on ``day``."""
    return calendar.timegm((day.year, day.month, day.day, 0, 0, 0))


def local_timestamp(day: date, seconds_of_day: int) -> int:
    """UTC epoch seconds of a local wall-clock time on ``day``."""
    return day_epoch(day) + seconds_of_day - utc_offset_hours(day) * SECONDS_PER_HOUR


def local_date(ts: int) -> date:
    """Local calendar date of an instant (exact for times outside 00:00-05:00 UTC)."""
    utc_day = date(*time.gmtime(ts)[:3])
    return date(*time.gmtime(ts + utc_offset_hours(utc_day) * SECONDS_PER_HOUR)[:3])


@lru_cache(maxsize=1 << 16)
def fhir_datetime(ts: int) -> str:
    """``2024-03-02T14:05:00-05:00``: local time with its offset, as Synthea writes FHIR."""
    offset = utc_offset_hours(date(*time.gmtime(ts)[:3]))
    t = time.gmtime(ts + offset * SECONDS_PER_HOUR)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        f"-0{-offset}:00"
    )


def fhir_instant_millis(ts: int, millis: int) -> str:
    """Like :func:`fhir_datetime` with milliseconds (Synthea's ``issued``)."""
    base = fhir_datetime(ts)
    return f"{base[:19]}.{millis:03d}{base[19:]}"


@lru_cache(maxsize=1 << 16)
def utc_z(ts: int) -> str:
    """``2024-03-02T19:05:00Z``: UTC as the Synthea CSV export writes timestamps."""
    t = time.gmtime(ts)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"


def utc_date(ts: int) -> date:
    return date(*time.gmtime(ts)[:3])


def add_years(day: date, years: int) -> date:
    """Same month and day ``years`` later (28 February for a 29 February start)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
