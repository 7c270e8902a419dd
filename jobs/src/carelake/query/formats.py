"""Trino's Joda-Time patterns (format_datetime, parse_datetime) as DuckDB strftime/strptime formats.

Joda rules (https://www.joda.org/joda-time/apidocs/org/joda/time/format/DateTimeFormat.html):
a run of the same letter is one field; for numbers the run length is the minimum number of
digits (zero padded), for text 3 or fewer letters is the short form and 4 or more the full
form; text in single quotes is literal and '' is a quote. Any other letter is an error.
Zone fields (Z, z) render UTC: the engine runs DuckDB with its session zone set to UTC.
"""

from __future__ import annotations

import re

from carelake.query.errors import UnsupportedSqlError

_RUN = re.compile(r"'(?:[^']|'')*'|''|([A-Za-z])\1*|[^A-Za-z']+")


def _padded(count: int, padded: str, unpadded: str | None) -> str:
    if count >= 2 or unpadded is None:
        return padded
    return unpadded


def _year(count: int, full: str, two_digit: str) -> str:
    return two_digit if count == 2 else full


def _fraction(count: int) -> str:
    digits = {3: "%g", 6: "%f", 9: "%n"}
    if count not in digits:
        raise UnsupportedSqlError(
            f"Joda pattern {'S' * count!r}: only SSS, SSSSSS and SSSSSSSSS are supported"
        )
    return digits[count]


def _text(count: int, short: str, full: str) -> str:
    return full if count >= 4 else short


def _field(letter: str, count: int) -> str:
    """One Joda field (a run of ``count`` times ``letter``) as a strftime directive."""
    match letter:
        case "y" | "Y":
            return _year(count, "%Y", "%y")
        case "x" if count != 2:
            return "%G"
        case "M":
            if count >= 3:
                return _text(count, "%b", "%B")
            return _padded(count, "%m", "%-m")
        case "d":
            return _padded(count, "%d", "%-d")
        case "D":
            return "%j" if count >= 2 else "%-j"
        case "H":
            return _padded(count, "%H", "%-H")
        case "h":
            return _padded(count, "%I", "%-I")
        case "m":
            return _padded(count, "%M", "%-M")
        case "s":
            return _padded(count, "%S", "%-S")
        case "S":
            return _fraction(count)
        case "a":
            return "%p"
        case "E":
            return _text(count, "%a", "%A")
        case "e":
            return "%u"
        case "w" if count >= 2:
            return "%V"
        # DuckDB renders every timestamp in the session zone, which the engine pins to UTC
        # (Athena's session zone), so zone fields are UTC's.
        case "Z":
            return {1: "+0000", 2: "+00:00"}.get(count, "UTC")
        case "z":
            return "Coordinated Universal Time" if count >= 4 else "UTC"
    raise UnsupportedSqlError(f"Joda pattern letter {letter * count!r} has no DuckDB strftime equivalent")


def joda_to_strftime(pattern: str) -> str:
    """Translate a Joda-Time pattern to a DuckDB strftime/strptime format string."""
    out: list[str] = []
    for match in _RUN.finditer(pattern):
        token = match.group(0)
        if token == "''":
            out.append("'")
        elif token.startswith("'"):
            out.append(token[1:-1].replace("''", "'").replace("%", "%%"))
        elif match.group(1):
            out.append(_field(token[0], len(token)))
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)
