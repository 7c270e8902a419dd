"""The payer's decision on every claim: allowed and paid amounts, initial denials, appeals.

Every encounter claim and pharmacy claim of a patient is adjudicated here, once, and every
exporter reads the result (FHIR ExplanationOfBenefit, the CSV claims transactions, the
partner claims feed), so the three always tell the same story. Draws come from the
patient's own ``adjudication`` stream, apart from the clinical one: the care a patient
gets does not change when the money rules do.

The rules (docs/measures/claim-denials.md explains the figures they aim at):

* A claim is decided ``ADJUDICATION_LAG_DAYS`` after the service ends; a claim not decided
  by the as-of date is pending (no ExplanationOfBenefit, nothing allowed or paid yet).
* Allowed = billed x the payer type's contracted share of charges (``TERMS``: Medicare 30-40 %,
  Medicaid 20-30 %, commercial 48-65 %); paid = allowed x the share the payer carries after
  deductible and coinsurance. Uninsured (self-pay) claims get the hospital's uninsured
  discount as their allowed amount and no payer payment at all.
* An insured claim is initially denied with the payer type's ``denial_rate`` (8-12 %), with a
  CARC drawn from ``DENIAL_REASONS``: nothing is allowed or paid. Each reason is appealed
  and overturned with its own probability (an exact duplicate is never appealed; missing
  information is usually corrected and paid). An appeal is decided ``APPEAL_DECISION_DAYS``
  after the denial; one not decided by the as-of date is not visible yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from carelake.generate.catalog import DENIAL_REASONS, MEDICATIONS, PAYERS
from carelake.generate.ids import stream, synthea_uuid, weighted_choice
from carelake.generate.model import Adjudication, ClaimLine, EncounterRecord
from carelake.generate.timeutil import SECONDS_PER_DAY

ADJUDICATION_LAG_DAYS = (14, 45)
APPEAL_DECISION_DAYS = (30, 90)


@dataclass(frozen=True, slots=True)
class PayerTerms:
    allowed_share: tuple[float, float]  # allowed / billed: contracted rates against the chargemaster
    paid_share: tuple[float, float]  # paid / allowed: the rest is deductible, coinsurance, copay
    denial_rate: float  # share of decided claims initially denied


TERMS: dict[str, PayerTerms] = {
    "medicare": PayerTerms((0.30, 0.40), (0.78, 0.84), 0.08),
    "dual": PayerTerms((0.30, 0.40), (0.95, 1.00), 0.08),  # Medicaid pays Medicare's cost sharing
    "medicaid": PayerTerms((0.20, 0.30), (0.96, 1.00), 0.12),
    "private": PayerTerms((0.48, 0.65), (0.75, 0.90), 0.11),
    "self_pay": PayerTerms((0.35, 0.50), (0.0, 0.0), 0.0),  # uninsured discount; no payer to deny
}

# CARC of an initial denial: (weight, probability it is appealed, probability an appeal wins).
DENIAL_OUTCOMES: dict[str, tuple[float, float, float]] = {
    "CO-16": (0.22, 0.70, 0.80),  # missing information: corrected and resubmitted
    "CO-197": (0.18, 0.55, 0.55),  # no prior authorization
    "CO-50": (0.15, 0.60, 0.45),  # not medically necessary
    "CO-97": (0.10, 0.30, 0.35),  # bundled into another service
    "CO-18": (0.08, 0.00, 0.00),  # exact duplicate: nothing to appeal
    "CO-29": (0.07, 0.20, 0.25),  # filed too late
    "CO-22": (0.07, 0.40, 0.60),  # coordination of benefits
    "PR-204": (0.07, 0.25, 0.30),  # not covered by the plan
    "CO-109": (0.06, 0.10, 0.30),  # sent to the wrong payer
}
assert set(DENIAL_OUTCOMES) == set(DENIAL_REASONS), "every CARC the generator uses has its outcomes"
DENIAL_WEIGHTS = tuple((reason, weight) for reason, (weight, _, _) in DENIAL_OUTCOMES.items())


def _days(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randint(*bounds) * SECONDS_PER_DAY


def decide(
    rng: random.Random, payer_key: str, lines: list[ClaimLine], service_end: int, as_of_end: int, eob_id: str
) -> Adjudication:
    """Adjudicate one claim: set each priced line's allowed and paid cents, return the decision."""
    terms = TERMS[PAYERS[payer_key].terms]
    decided = service_end + _days(rng, ADJUDICATION_LAG_DAYS)
    allowed_share = rng.uniform(*terms.allowed_share)
    paid_share = rng.uniform(*terms.paid_share)
    denied = rng.random() < terms.denial_rate
    reason = str(weighted_choice(rng, DENIAL_WEIGHTS))
    appealed_draw, won_draw, appeal_days = rng.random(), rng.random(), _days(rng, APPEAL_DECISION_DAYS)
    appeal_eob_id = synthea_uuid(rng)  # drawn always, so one claim's outcome never shifts the next's draws
    if decided > as_of_end:
        return Adjudication(None, eob_id)
    adjudication = Adjudication(decided, eob_id)
    if denied:
        _, appeal_probability, win_probability = DENIAL_OUTCOMES[reason]
        adjudication.denial_reason = reason
        if appealed_draw < appeal_probability and decided + appeal_days <= as_of_end:
            adjudication.appeal = "overturned" if won_draw < win_probability else "upheld"
            adjudication.appeal_ts = decided + appeal_days
            adjudication.appeal_eob_id = appeal_eob_id
    if not adjudication.is_denied:
        for line in lines:
            line.allowed_cents = min(line.amount_cents, round(line.amount_cents * allowed_share))
            line.paid_cents = min(line.allowed_cents, round(line.allowed_cents * paid_share))
    return adjudication


def adjudicate_patient(seed: int, index: int, encounters: list[EncounterRecord], as_of_end: int) -> None:
    """Decide every claim of one patient (encounters in order, each before its drugs)."""
    rng = stream(seed, "adjudication", index)
    for encounter in encounters:
        priced = [line for line in encounter.claim_lines if line.kind != "diagnosis"]
        encounter.adjudication = decide(
            rng, encounter.payer_key, priced, encounter.end, as_of_end, encounter.eob_id
        )
        for medication in encounter.medications:
            code = MEDICATIONS[medication.key].code
            line = ClaimLine("medication", code, medication.total_cents, 0, medication.id, "")
            medication.adjudication = decide(
                rng, encounter.payer_key, [line], encounter.end, as_of_end, synthea_uuid(rng)
            )
            medication.allowed_cents, medication.paid_cents = line.allowed_cents, line.paid_cents
