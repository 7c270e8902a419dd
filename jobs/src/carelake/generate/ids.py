"""Deterministic random streams and identifiers.

Every patient gets its own ``random.Random`` seeded from ``(seed, stream, index)`` as a
string; ``random`` hashes string seeds with SHA-512, so the stream does not depend on
``PYTHONHASHSEED``, the process that runs it, or the order patients are generated in.
That is what lets chunks of patients run in parallel and still give byte-identical files.
"""

from __future__ import annotations

import random
import uuid

# Names for the global directory (organizations, practitioners, locations). Fixed, not
# seeded: the same hospital has the same ids in every generated population.
DIRECTORY_NAMESPACE = uuid.UUID("6f1c1b5e-3d4a-3c2b-9a8e-0c5e4c1a7d21")


def stream(seed: int, name: str, index: int = 0) -> random.Random:
    """An independent random stream for one purpose (``name``) and one item (``index``)."""
    return random.Random(f"carelake:{seed}:{name}:{index}")


def synthea_uuid(rng: random.Random) -> str:
    """A random 128-bit id in UUID layout, as Synthea writes them (no version nibble)."""
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def uuid4_from(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (the intake Lambda's record ids)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def directory_uuid(name: str) -> str:
    """Name-based (version 3) UUID, the way Synthea derives provider ids from names."""
    return str(uuid.uuid3(DIRECTORY_NAMESPACE, name))


def npi_with_check_digit(first_nine: str) -> str:
    """A 10-digit NPI whose last digit is the Luhn check digit over ``80840`` + 9 digits."""
    digits = [int(c) for c in "80840" + first_nine]
    total = 0
    # Luhn: double every second digit from the right of the payload (check digit excluded).
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    check = (10 - total % 10) % 10
    return f"{first_nine}{check}"


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's Poisson draw; means here are small (< 10)."""
    if mean <= 0:
        return 0
    limit = 2.718281828459045 ** (-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def weighted_choice(rng: random.Random, options: tuple[tuple[object, float], ...]) -> object:
    """Pick one option from ``((value, weight), ...)`` with one draw."""
    total = sum(weight for _, weight in options)
    point = rng.random() * total
    for value, weight in options:
        point -= weight
        if point < 0:
            return value
    return options[-1][0]
