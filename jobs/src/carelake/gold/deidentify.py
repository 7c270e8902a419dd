"""HIPAA Safe Harbor (45 CFR 164.514(b)(2)) for gold's de-identified tables.

* Dates: only the year of birth and death is kept; ages are whole years.
* Ages over 89, and the birth year that would reveal them, are aggregated: age 90, birth
  year null ("all ages over 89 and all elements of dates (including year) indicative of
  such age ... may be aggregated into a single category of age 90 or older").
* Geography: the first three digits of the ZIP code, except the 3-digit ZIPs whose areas
  hold 20,000 people or fewer, which become '000'. RESTRICTED_ZIP3 is the list HHS
  publishes in its Safe Harbor guidance (Census 2000; "Guidance Regarding Methods for
  De-identification of PHI", section 2.4). It is an HHS de-identification constant, not a
  clinical code list, so it lives here.
* No names, SSNs, MRNs, street addresses, phone numbers or full dates of birth in any
  de-identified gold table (the tests check every column).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

RESTRICTED_ZIP3 = (
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884",
    "890", "893",
)  # fmt: skip
MAX_AGE = 90  # ages over 89 are reported as 90
AGE_BANDS = ((0, 17, "0-17"), (18, 34, "18-34"), (35, 49, "35-49"), (50, 64, "50-64"), (65, 74, "65-74"),
             (75, 84, "75-84"), (85, None, "85+"))  # fmt: skip


def safe_zip3(zip_code: Column) -> Column:
    """The first three digits of a ZIP (or a zip3), '000' for the restricted ones; null if not 3+ digits."""
    zip3 = F.substring(F.regexp_replace(zip_code, r"[^0-9]", ""), 1, 3)
    return F.when(F.length(zip3) == 3, F.when(zip3.isin(*RESTRICTED_ZIP3), F.lit("000")).otherwise(zip3))


def age_in_years(birth_date: Column, on: Column) -> Column:
    """Whole years from birth to ``on`` (the birthday counts on its day), not capped."""
    return F.floor(F.months_between(on, birth_date) / 12).cast("int")


def safe_age(birth_date: Column, on: Column) -> Column:
    """Age in whole years on ``on``, ages over 89 as 90."""
    return F.least(age_in_years(birth_date, on), F.lit(MAX_AGE))


def safe_birth_year(birth_date: Column, on: Column) -> Column:
    """Year of birth, null when the person is over 89 on ``on`` (the year would reveal the age)."""
    return F.when(age_in_years(birth_date, on) < MAX_AGE, F.year(birth_date))


def age_band(age: Column) -> Column:
    band = F.lit(None).cast("string")
    for low, high, label in reversed(AGE_BANDS):
        condition = age >= low if high is None else age.between(low, high)
        band = F.when(condition, F.lit(label)).otherwise(band)
    return band
