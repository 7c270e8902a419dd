"""Where the lake's zones are, and which day a run is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ZONES = ("raw", "bronze", "silver", "gold", "quarantine")


def resolve_dt(value: str) -> str:
    """A run's partition date: ``today`` (UTC) or an explicit ``YYYY-MM-DD`` (validated)."""
    if value in ("", "today"):
        return datetime.now(UTC).date().isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ValueError(f"dt must be YYYY-MM-DD or 'today', got {value!r}") from exc


def join_uri(base: str, *parts: str) -> str:
    """Join URI segments with single slashes (works for s3://, file:// and plain paths)."""
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


@dataclass(frozen=True)
class Lake:
    """A local lake: one folder per zone under a root (``./lake`` by default)."""

    root: Path

    def zone(self, zone: str) -> Path:
        if zone not in ZONES:
            raise ValueError(f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
        return self.root.resolve() / zone

    def zone_uris(self) -> dict[str, str]:
        """The ``<zone>_uri`` job arguments for this lake."""
        return {f"{zone}_uri": str(self.zone(zone)) for zone in ZONES}
