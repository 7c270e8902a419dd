"""Parameters of one generation run, shared by every part of the generator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carelake.generate.timeutil import SECONDS_PER_DAY, add_years, day_epoch

DEFAULT_AS_OF = date(2026, 6, 30)
DEFAULT_PARTNERS = ("bcbs", "aetna", "humana")  # partner ids = catalog.PAYERS keys
DEFAULT_COORDINATORS = 12  # care coordinators cm-001 .. cm-012


def coordinator_id(number: int) -> str:
    """The id of care coordinator ``number`` (1-based), as outreach events carry it."""
    return f"cm-{number:03d}"


@dataclass(frozen=True, slots=True)
class Settings:
    patients: int
    seed: int
    readmission_rate: float
    defect_rate: float
    as_of: date  # the export date: nothing happens after the end of this day
    history_years: int  # simulated history before as_of
    partners: tuple[str, ...]
    partner_claim_months: int  # partner claims cover services in these last months
    outreach_years: int  # care management started this many years before as_of
    treatment_years: int  # treatment store holds treatments from these last years
    coordinators: int  # cm-001 .. cm-NNN

    @property
    def history_start(self) -> date:
        return add_years(self.as_of, -self.history_years)

    @property
    def as_of_end_ts(self) -> int:
        """Last second of the as-of day (UTC)."""
        return day_epoch(self.as_of) + SECONDS_PER_DAY - 1
