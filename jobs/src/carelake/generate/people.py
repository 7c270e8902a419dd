"""Demographics, twins and insurance coverage of one patient."""

from __future__ import annotations

import random
from datetime import date, timedelta

from carelake.generate.catalog import PRIVATE_PAYER_WEIGHTS
from carelake.generate.directory import Directory
from carelake.generate.ids import stream, synthea_uuid, weighted_choice
from carelake.generate.model import CoveragePeriod, Person
from carelake.generate.names import (
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    street_address,
    synthea_name,
)
from carelake.generate.settings import Settings, coordinator_id
from carelake.generate.timeutil import add_years, age_on

# Age at the as-of date: (low, high inclusive, weight). About 35% are 65 or older, so the
# Medicare population and the CMS-style 65+ readmission measure have enough stays.
AGE_BANDS = (
    (0, 4, 5),
    (5, 17, 10),
    (18, 34, 15),
    (35, 49, 15),
    (50, 64, 20),
    (65, 74, 17),
    (75, 84, 12),
    (85, 99, 6),
)
AGE_BAND_WEIGHTS = tuple(((low, high), weight) for low, high, weight in AGE_BANDS)
RACES = (
    ("white", 0.72),
    ("black", 0.1),
    ("asian", 0.08),
    ("native", 0.01),
    ("hawaiian", 0.01),
    ("other", 0.08),
)
HISPANIC_SHARE = 0.12
TWIN_HOUSEHOLD_SHARE = 0.03  # share of index pairs (2k, 2k+1) that are twins
BIRTHPLACES = ("Boston", "Worcester", "Springfield", "Lowell", "Cambridge", "New Bedford", "Brockton", "Quincy", "Lynn", "Fall River")  # fmt: skip


def _draw_age(rng: random.Random) -> int:
    low, high = weighted_choice(rng, AGE_BAND_WEIGHTS)  # type: ignore[misc]
    return rng.randint(low, high)


def _birth_date(rng: random.Random, as_of: date) -> date:
    age = _draw_age(rng)
    return add_years(as_of, -age) - timedelta(days=rng.randint(1, 364))


def _household(settings: Settings, index: int) -> tuple[int, random.Random] | None:
    """Patients 2k and 2k+1 are twins when their household draw says so."""
    household = index // 2
    rng = stream(settings.seed, "household", household)
    if rng.random() >= TWIN_HOUSEHOLD_SHARE or (household * 2 + 1) >= settings.patients:
        return None
    return household, rng


def _ssn(rng: random.Random) -> str:
    return f"999-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def _first_name(rng: random.Random, gender: str) -> str:
    return synthea_name(rng.choice(FEMALE_FIRST_NAMES if gender == "F" else MALE_FIRST_NAMES), rng)


def _race(rng: random.Random) -> str:
    return str(weighted_choice(rng, RACES))


def make_person(settings: Settings, directory: Directory, index: int, rng: random.Random) -> Person:
    """A patient with Synthea's identifiers, name, address and a primary care clinic."""
    household = _household(settings, index)
    shared = household[1] if household else rng  # twins share what the household draws
    last = synthea_name(shared.choice(LAST_NAMES), shared)
    birth = _birth_date(shared, settings.as_of)
    region = directory.regions[shared.randrange(len(directory.regions))]
    city = region.cities[shared.randrange(len(region.cities))]
    address_line = street_address(shared)
    lat = round(city.lat + shared.uniform(-0.03, 0.03), 6)
    lon = round(city.lon + shared.uniform(-0.03, 0.03), 6)
    race = _race(shared)
    ethnicity = "hispanic" if shared.random() < HISPANIC_SHARE else "nonhispanic"
    birthplace = shared.choice(BIRTHPLACES)
    if household:
        # Both twins draw the same pair of first names from the household stream and take
        # their own one, so the names always differ.
        genders = ("F" if shared.random() < 0.5 else "M", "F" if shared.random() < 0.5 else "M")
        names = (_first_name(shared, genders[0]), _first_name(shared, genders[1]))
        while names[1].rstrip("0123456789") == names[0].rstrip("0123456789"):
            names = (names[0], _first_name(shared, genders[1]))
        position = index % 2
        gender, first = genders[position], names[position]
    else:
        gender = "F" if rng.random() < 0.5 else "M"
        first = _first_name(rng, gender)
    age = age_on(birth, settings.as_of)
    adult = age >= 18
    married = adult and rng.random() < 0.55
    clinic = region.clinics[rng.randrange(len(region.clinics))]
    primary_care = directory.practitioners_of(clinic, "GENERAL PRACTICE")
    smoking = "never"
    if adult:
        smoking = str(weighted_choice(rng, (("never", 0.55), ("former", 0.27), ("current", 0.18))))
    return Person(
        index=index,
        id=synthea_uuid(rng),
        first=first,
        last=last,
        prefix=("Mrs." if married else "Ms.") if gender == "F" and adult else ("Mr." if adult else ""),
        maiden=synthea_name(rng.choice(LAST_NAMES), rng) if gender == "F" and married else "",
        marital=("M" if married else "S") if adult else "",
        gender=gender,
        birth_date=birth,
        ssn=_ssn(rng),
        drivers=f"S999{rng.randint(10000, 99999)}" if age >= 16 else "",
        passport=f"X{rng.randint(10000000, 99999999)}X" if adult and rng.random() < 0.7 else "",
        phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        race=race,
        ethnicity=ethnicity,
        birthplace=birthplace,
        address_line=address_line,
        city=city,
        lat=lat,
        lon=lon,
        region=region,
        clinic=clinic,
        pcp=primary_care[rng.randrange(len(primary_care))],
        smoking=smoking,
        coordinator=coordinator_id(rng.randint(1, settings.coordinators)),
        multiple_birth=(index % 2) + 1 if household else None,
        twin_household=household[0] if household else None,
    )


def _base_payer(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.17:
        return "medicaid"
    if draw < 0.24:
        return "none"
    return str(weighted_choice(rng, PRIVATE_PAYER_WEIGHTS))


def _senior_payer(rng: random.Random, base: str) -> str:
    if base == "medicaid":
        return "dual"
    return str(weighted_choice(rng, (("medicare", 0.72), ("humana", 0.14), ("aetna", 0.07), ("bcbs", 0.07))))


def build_coverage(person: Person, rng: random.Random, start: date, end: date) -> list[CoveragePeriod]:
    """Insurance periods covering [start, end): a working-age plan, then Medicare at 65.

    Some working-age patients change private insurer once (a job change), so a person can
    be a member of two partner payers over the years.
    """
    base = _base_payer(rng)
    boundaries: list[tuple[date, str]] = [(start, base)]
    sixty_five = add_years(person.birth_date, 65)
    if base not in ("medicaid", "none") and rng.random() < 0.2:
        switch = start + timedelta(days=rng.randint(200, max(201, (end - start).days - 200)))
        if switch < min(end, sixty_five):
            other = base
            while other == base:
                other = str(weighted_choice(rng, PRIVATE_PAYER_WEIGHTS))
            boundaries.append((switch, other))
    if sixty_five < end:
        senior = _senior_payer(rng, base)
        boundaries = [b for b in boundaries if b[0] < sixty_five] or [(start, base)]
        boundaries.append((max(sixty_five, start), senior))
    periods: list[CoveragePeriod] = []
    for number, (period_start, payer_key) in enumerate(boundaries):
        period_end = boundaries[number + 1][0] if number + 1 < len(boundaries) else end
        if period_end <= period_start:
            continue
        owner_age = age_on(person.birth_date, period_start)
        if owner_age < 18:
            ownership, owner = "Guardian", f"{_first_name(rng, 'F')} {person.last}"
        elif person.marital == "M" and rng.random() < 0.3:
            ownership, owner = (
                "Spouse",
                f"{_first_name(rng, 'M' if person.gender == 'F' else 'F')} {person.last}",
            )
        else:
            ownership, owner = "Self", f"{person.first} {person.last}"
        periods.append(
            CoveragePeriod(period_start, period_end, payer_key, synthea_uuid(rng), ownership, owner)
        )
    return periods
