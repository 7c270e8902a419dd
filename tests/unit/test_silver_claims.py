"""carelake.silver.claims: fct_claim / fct_claim_line candidates from FHIR Claim +
ExplanationOfBenefit, Synthea claims.csv + claims_transactions.csv and partner claim lines.

Hand-worked rules (module docstring and docs/data-model.md): the Claim says what was billed,
its EOB what the payer allowed and paid; the EOB names the payer only through its contained
Coverage (the focal insurance's ``#id``) and the referring provider through its contained
ServiceRequest (``#referral``); a ``#id`` no contained resource has is reported as unresolved.
In the CSV, CHARGE transactions are the billed lines and ECHECK payments are the payer's
(COPAY, CASH, CC, CHECK are the patient's); allowed = billed - adjustments. Partner claims come
one row per line; the claim is denied only when every line is, else pending if any line is,
else adjusted if any is, else paid.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from carelake.silver import build
from carelake.silver import claims as C
from tests.support.silver_frames import (
    L1,
    L2,
    NPI,
    SNOMED,
    SYNTHEA,
    as_rows,
    assert_frame,
    bronze,
    coding,
    csv,
    fhir,
    frame,
)

pytestmark = pytest.mark.spark

CLAIM_SCHEMA = (
    "claim_key string, claim_id string, source string, ehr_patient_id string, member_source_id string, "
    "encounter_id string, payer_key string, payer_name string, provider_npi string, provider_id string, "
    "referring_provider_npi string, facility_location_id string, service_from timestamp, service_to timestamp, "
    "diagnosis_code string, diagnosis_system string, billed_amount decimal(14,2), allowed_amount decimal(14,2), "
    "paid_amount decimal(14,2), claim_status string, denial_reason string, is_initially_denied boolean, "
    "is_appealed boolean, is_overturned boolean, line_count int, meta_last_updated timestamp, landed_at timestamp, "
    "source_file string"
)
LINE_SCHEMA = (
    "claim_key string, source string, line_number int, procedure_code string, procedure_system string, "
    "procedure_display string, units int, billed_amount decimal(14,2), allowed_amount decimal(14,2), "
    "paid_amount decimal(14,2), line_status string, denial_reason string"
)
UNRESOLVED_SCHEMA = "source_table string, record_id string, kind string, reference string"
BB = "https://bluebutton.cms.gov/resources/variables/"
FILE = "fhir/dt=2024-03-01/bundle-1.json"
UPDATED = datetime(2024, 3, 5, 18, 0)
D = Decimal


def adjudication(variable: str, amount: str) -> dict:
    category = coding(BB + variable, system="https://bluebutton.cms.gov/resources/codesystem/adjudication")
    return {"category": category, "amount": {"value": float(amount), "currency": "USD"}}


CLAIM_1 = {
    "resourceType": "Claim", "id": "c-1", "status": "active",
    "patient": {"reference": "urn:uuid:p-1"},
    "billablePeriod": {"start": "2024-03-05T09:00:00-05:00", "end": "2024-03-05T09:30:00-05:00"},
    "provider": {"reference": f"Organization?identifier={SYNTHEA}|org-1"},
    "facility": {"reference": f"Location?identifier={SYNTHEA}|loc-1", "display": "PCP74147"},
    "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Humana"}}],
    "diagnosis": [{"sequence": 1, "diagnosisReference": {"reference": "urn:uuid:cond-1"}}],
    "item": [
        {"sequence": 1, "productOrService": coding("185345009", "Encounter for symptom"),
         "encounter": [{"reference": "urn:uuid:enc-1"}], "net": {"value": 100.00}},
        {"sequence": 2, "productOrService": coding("395142003", "Allergy screening test"),
         "quantity": {"value": 2}, "net": {"value": 29.16}},
    ],
    "total": {"value": 129.16, "currency": "USD"},
}  # fmt: skip
EOB_1 = {
    "resourceType": "ExplanationOfBenefit", "id": "eob-1", "status": "active", "outcome": "complete",
    "contained": [
        {"resourceType": "ServiceRequest", "id": "referral",
         "requester": {"reference": f"Practitioner?identifier={NPI}|9999962229"}},
        {"resourceType": "Coverage", "id": "coverage", "type": {"text": "Humana"},
         "payor": [{"display": "Humana Gold Plus"}]},
    ],
    "claim": {"reference": "urn:uuid:c-1"},
    "patient": {"reference": "urn:uuid:p-1"},
    "provider": {"reference": f"Practitioner?identifier={NPI}|9999962230"},
    "referral": {"reference": "#referral"},
    "insurer": {"display": "Humana"},
    "insurance": [{"focal": True, "coverage": {"reference": "#coverage", "display": "Humana"}}],
    "item": [
        {"sequence": 1, "adjudication": [adjudication("line_alowd_chrg_amt", "100.00"),
                                         adjudication("line_prvdr_pmt_amt", "80.00"),
                                         adjudication("line_coinsrnc_amt", "20.00")]},
        {"sequence": 2, "adjudication": [adjudication("line_alowd_chrg_amt", "29.16"),
                                         adjudication("line_prvdr_pmt_amt", "23.33")]},
    ],
    "payment": {"amount": {"value": 103.33, "currency": "USD"}},
}  # fmt: skip


PENDING = {
    "resourceType": "Claim", "id": "c-2", "patient": {"reference": "Patient/p-2"},
    "billablePeriod": {"start": "2024-03-06T10:00:00Z", "end": "2024-03-06T10:15:00Z"},
    "facility": {"reference": "Location/loc-2"},
    "insurance": [{"coverage": {"display": "Medicaid"}}],
    "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": coding("38341003")}],
    "item": [{"sequence": 1, "productOrService": coding("185349003"), "net": {"value": 85.55}}],
    "total": {"value": 85.55},
}  # fmt: skip
CLAIM_3 = {
    "resourceType": "Claim", "id": "c-3", "patient": {"reference": "Patient/p-2"},
    "billablePeriod": {"start": "2024-03-07T10:00:00Z", "end": "2024-03-07T10:15:00Z"},
    "insurance": [{"coverage": {"display": "Aetna PPO"}}],
    "item": [{"sequence": 1, "productOrService": coding("185349003"), "net": {"value": 50.00}}],
    "total": {"value": 50.00},
}  # fmt: skip
EOB_3 = {
    "resourceType": "ExplanationOfBenefit", "id": "eob-3", "claim": {"reference": "Claim/c-3"},
    "contained": [{"resourceType": "Coverage", "id": "cov-1", "payor": [{"display": "Aetna Secondary"}]}],
    "insurer": {"display": "Aetna"},
    # The focal insurance is the second one, whose '#cov-2' no contained resource has;
    # '#ref-9' names no contained ServiceRequest either.
    "insurance": [{"focal": False, "coverage": {"reference": "#cov-1"}},
                  {"focal": True, "coverage": {"reference": "#cov-2"}}],
    "referral": {"reference": "#ref-9"},
    "item": [{"sequence": 1, "adjudication": [adjudication("line_alowd_chrg_amt", "50.00")]}],
    "payment": {"amount": {"value": 0.00}},
}  # fmt: skip
NO_ITEMS = {
    "resourceType": "Claim",
    "id": "c-4",
    "patient": {"reference": "Patient/p-1"},
    "total": {"value": 0},
}


@pytest.fixture(scope="module")
def fhir_output(spark):
    """fhir_claims over every FHIR case of this module, computed once (its plan is large) and cached."""
    older = {**CLAIM_1, "total": {"value": 999.00}, "item": [CLAIM_1["item"][0]]}
    claim_rows = [
        fhir(CLAIM_1, updated=UPDATED),
        # An older version of c-1 (earlier meta.lastUpdated, landed later): latest wins.
        fhir(older, updated=datetime(2024, 3, 1), landed=L2, file="fhir/dt=2024-03-02/b.json"),
        fhir(PENDING, updated=UPDATED),
        fhir(CLAIM_3, updated=UPDATED),
        fhir(NO_ITEMS, updated=UPDATED),
    ]
    eob_rows = [fhir(EOB_1, updated=UPDATED), fhir(EOB_3, updated=UPDATED)]
    outputs = C.fhir_claims(
        bronze(spark, "fhir_claim", claim_rows),
        bronze(spark, "fhir_explanation_of_benefit", eob_rows),
        frame(spark, [("cond-1", "15777000")], "resource_id string, snomed_code string"),
    )
    for output in outputs:
        output.cache().count()
    return outputs


def test_fhir_claim_with_its_eob_contained_coverage_and_referral(spark, fhir_output):
    claims, lines, unresolved = fhir_output
    expected_claims_rows = [
        # encounter: the first item that names one (urn:uuid:enc-1); payer: the focal insurance's
        # contained Coverage (#coverage) payor, 'Humana Gold Plus', keyed humana_gold_plus, over the
        # Claim's plain 'Humana'; provider NPI from the EOB's conditional Practitioner reference;
        # referring NPI from the contained #referral's requester; facility from Synthea's
        # conditional Location identifier; billable period 09:00-09:30 at UTC-5 = 14:00-14:30 UTC;
        # diagnosis: the referenced Condition cond-1's SNOMED code; billed = Claim.total 129.16
        # (not the older version's 999.00); allowed = 100.00 + 29.16 (line_alowd_chrg_amt of both
        # items); paid = EOB payment 103.33 > 0 -> 'paid'; two items.
        ("c-1", "c-1", "ehr_fhir", "p-1", None, "enc-1", "humana_gold_plus", "Humana Gold Plus",
         "9999962230", None, "9999962229", "loc-1", datetime(2024, 3, 5, 14, 0), datetime(2024, 3, 5, 14, 30),
         "15777000", "snomed", D("129.16"), D("129.16"), D("103.33"), "paid", None, False, False, False, 2,
             UPDATED, L1, FILE),
    ]  # fmt: skip
    expected_claims = frame(spark, expected_claims_rows, CLAIM_SCHEMA)
    assert_frame(claims.where("claim_key = 'c-1'"), expected_claims, ["claim_key"])
    expected_lines_rows = [
        # Billed = item net; allowed/paid = the EOB item of the same sequence (the coinsurance
        # adjudication is neither); no quantity -> 1 unit.
        ("c-1", "ehr_fhir", 1, "185345009", SNOMED, "Encounter for symptom", 1, D("100.00"), D("100.00"),
         D("80.00"), None, None),
        ("c-1", "ehr_fhir", 2, "395142003", SNOMED, "Allergy screening test", 2, D("29.16"), D("29.16"),
         D("23.33"), None, None),
    ]  # fmt: skip
    expected_lines = frame(spark, expected_lines_rows, LINE_SCHEMA)
    assert_frame(lines.where("claim_key = 'c-1'"), expected_lines, ["line_number"])
    # '#coverage' and '#referral' are both contained in eob-1: nothing unresolved.
    assert unresolved.where("record_id = 'eob-1'").count() == 0


def test_fhir_claim_without_eob_is_pending_and_unresolved_contained_references_are_reported(
    spark, fhir_output
):
    claims, lines, unresolved = fhir_output
    assert as_rows(
        claims.where("claim_key in ('c-2', 'c-3')"), "claim_key", "payer_name", "payer_key",
        "referring_provider_npi", "facility_location_id", "diagnosis_code", "diagnosis_system", "billed_amount",
        "allowed_amount", "paid_amount", "claim_status",
    ) == [
        # No EOB: nothing adjudicated yet -> pending, allowed and paid unknown; the payer is the
        # Claim's insurance display; the diagnosis is coded inline (diagnosisCodeableConcept);
        # a literal Location reference gives the facility id.
        ("c-2", "Medicaid", "medicaid", None, "loc-2", "38341003", "snomed", D("85.55"), None, None, "pending"),
        # The focal coverage is unresolved: the payer falls back to the EOB's insurer ('Aetna'), not
        # to the non-focal cov-1 ('Aetna Secondary'), and the adjudicating EOB outranks the Claim's
        # own insurance display ('Aetna PPO'); paid 0.00 -> the patient owes it: patient_responsibility.
        ("c-3", "Aetna", "aetna", None, None, None, None, D("50.00"), D("50.00"), D("0.00"), "patient_responsibility"),
    ]  # fmt: skip
    # Every unresolved contained reference of the module's EOBs: eob-3's two.
    assert_frame(
        unresolved,
        frame(
            spark,
            [
                ("fhir_explanation_of_benefit", "eob-3", "contained_coverage", "#cov-2"),
                ("fhir_explanation_of_benefit", "eob-3", "contained_referral", "#ref-9"),
            ],
            UNRESOLVED_SCHEMA,
        ),
        ["kind"],
    )
    assert as_rows(
        lines.where("claim_key in ('c-2', 'c-3')"),
        "claim_key",
        "line_number",
        "units",
        "allowed_amount",
        "paid_amount",
    ) == [
        # No quantity -> 1 unit; c-2 has no EOB line; c-3's EOB line has no provider payment
        # adjudication -> 0.00 paid.
        ("c-2", 1, 1, None, None),
        ("c-3", 1, 1, D("50.00"), D("0.00")),
    ]


def test_a_fhir_claim_without_items_has_no_lines(fhir_output):
    claims, lines, _ = fhir_output
    assert lines.where("claim_key = 'c-4'").count() == 0
    # A count of lines: 0, as csv_claims reports a claim without CHARGE rows.
    assert as_rows(claims.where("claim_key = 'c-4'"), "claim_key", "line_count") == [("c-4", 0)]


# --- Synthea CSV claims ----------------------------------------------------------------------


def claim_row(cid: str, insurance: str, diagnosis: str | None, landed: datetime = L1, line: int = 2) -> dict:
    return csv(
        landed=landed, file=f"synthea/dt={landed:%Y-%m-%d}/claims.csv", line=line, id=cid, patientid="p-1",
        providerid="pr-1", primarypatientinsuranceid=insurance, appointmentid=f"enc-{cid}",
        servicedate=datetime(2024, 3, 5, 14, 0), diagnosis1=diagnosis,
    )  # fmt: skip


def transaction(tid: str, claim: str, kind: str, code: str, *, charge: int = 1, landed: datetime = L1,
                **amounts) -> dict:  # fmt: skip
    return csv(
        landed=landed, file=f"synthea/dt={landed:%Y-%m-%d}/claims_transactions.csv", line=int(tid[1:]) + 1,
        id=tid, claimid=claim, chargeid=charge, patientid="p-1", type=kind, procedurecode=code, **amounts,
    )  # fmt: skip


def test_csv_claims_from_claims_and_transactions(spark):
    claims_csv = [
        claim_row("cl-1", "pay-bcbs", "44054006", landed=L1),
        # The same claim row landed again with another diagnosis: the later landing wins.
        claim_row("cl-1", "pay-bcbs", "38341003", landed=L2),
        # Synthea writes insurance id 0 when the patient has none: the NO_INSURANCE payer.
        claim_row("cl-2", "0", None),
    ]
    transactions = [
        transaction("t1", "cl-1", "CHARGE", "185345009", charge=1, amount=D("77.49"), units=1,
                    notes="Encounter for symptom"),
        # t1 delivered twice: one transaction (latest wins on its id), billed once.
        transaction("t1", "cl-1", "CHARGE", "185345009", charge=1, landed=L2, amount=D("77.49"), units=1,
                    notes="Encounter for symptom"),
        transaction("t2", "cl-1", "CHARGE", "395142003", charge=2, amount=D("51.67"), notes="Allergy screening test"),
        transaction("t3", "cl-1", "PAYMENT", "185345009", charge=1, method="ECHECK", payments=D("50.00")),
        transaction("t4", "cl-1", "PAYMENT", "185345009", charge=1, method="COPAY", payments=D("27.49")),
        transaction("t5", "cl-1", "TRANSFEROUT", "395142003", charge=2, transfers=D("51.67")),
        transaction("t6", "cl-2", "CHARGE", "185349003", charge=1, amount=D("20.00"), units=1, notes="Check up"),
        transaction("t7", "cl-2", "PAYMENT", "185349003", charge=1, method="CASH", payments=D("20.00")),
    ]  # fmt: skip
    claims, lines = C.csv_claims(
        bronze(spark, "csv_claims", claims_csv),
        bronze(spark, "csv_claims_transactions", transactions),
        frame(spark, [("pay-bcbs", "Blue Cross Blue Shield")], "payer_id string, payer_name string"),
    )
    file2 = "synthea/dt=2024-03-02/claims.csv"
    expected_rows = [
        # billed = CHARGEs 77.49 + 51.67 = 129.16 (t1 once); no adjustments -> allowed 129.16;
        # paid = the ECHECK payment 50.00 only (the COPAY is the patient's) -> 'paid'.
        ("cl-1", "cl-1", "ehr_csv", "p-1", None, "enc-cl-1", "blue_cross_blue_shield", "Blue Cross Blue Shield",
         None, "pr-1", None, None, datetime(2024, 3, 5, 14, 0), datetime(2024, 3, 5, 14, 0), "38341003",
         "snomed", D("129.16"), D("129.16"), D("50.00"), "paid", None, False, False, False, 2, None, L2, file2),
        # Paid in cash by the patient: no payer payment -> 0.00, patient_responsibility.
        ("cl-2", "cl-2", "ehr_csv", "p-1", None, "enc-cl-2", "no_insurance", "NO_INSURANCE",
         None, "pr-1", None, None, datetime(2024, 3, 5, 14, 0), datetime(2024, 3, 5, 14, 0), None,
         None, D("20.00"), D("20.00"), D("0.00"), "patient_responsibility", None, False, False, False, 1, None, L1,
         "synthea/dt=2024-03-01/claims.csv"),
    ]  # fmt: skip
    expected = frame(spark, expected_rows, CLAIM_SCHEMA)
    assert_frame(claims, expected, ["claim_key"])
    expected_lines_rows = [
        # Lines are the CHARGEs in CHARGEID order; the ECHECK payment names code 185345009,
        # billed once on this claim, so it is that line's; line 2 has no payer payment (0.00);
        # UNITS missing -> 1.
        ("cl-1", "ehr_csv", 1, "185345009", "snomed", "Encounter for symptom", 1, D("77.49"), D("77.49"),
         D("50.00"), None, None),
        ("cl-1", "ehr_csv", 2, "395142003", "snomed", "Allergy screening test", 1, D("51.67"), D("51.67"),
         D("0.00"), None, None),
        ("cl-2", "ehr_csv", 1, "185349003", "snomed", "Check up", 1, D("20.00"), D("20.00"), D("0.00"), None, None),
    ]  # fmt: skip
    expected_lines = frame(spark, expected_lines_rows, LINE_SCHEMA)
    assert_frame(lines, expected_lines, ["claim_key", "line_number"])


def test_csv_claim_adjustments_and_a_payment_for_a_code_billed_twice(spark):
    transactions = [
        transaction("t1", "cl-3", "CHARGE", "99999", charge=1, amount=D("100.00")),
        transaction("t2", "cl-3", "CHARGE", "99999", charge=2, amount=D("40.00")),
        transaction("t3", "cl-3", "PAYMENT", "99999", charge=1, method="ECHECK", payments=D("60.00"),
                    adjustments=D("10.00")),
    ]  # fmt: skip
    claims, lines = C.csv_claims(
        bronze(spark, "csv_claims", [claim_row("cl-3", "pay-bcbs", None)]),
        bronze(spark, "csv_claims_transactions", transactions),
        frame(spark, [("pay-bcbs", "Blue Cross Blue Shield")], "payer_id string, payer_name string"),
    )
    # billed 140.00, allowed = billed - adjustments = 130.00, the payer paid 60.00.
    assert as_rows(claims, "claim_key", "billed_amount", "allowed_amount", "paid_amount", "line_count") == [
        ("cl-3", D("140.00"), D("130.00"), D("60.00"), 2)
    ]
    # The payment names code 99999, which two charges bill: which line it pays is unknown -> null.
    assert as_rows(lines, "line_number", "billed_amount", "paid_amount") == [
        (1, D("100.00"), None),
        (2, D("40.00"), None),
    ]


# --- partner claims --------------------------------------------------------------------------


def partner_line(partner: str, claim: str, line: int, status: str, billed: str, allowed: str, paid: str, *,
                 procedure: str = "99213", icd10: str = "E11.9", denial: str | None = None,
                 landed: datetime = L1, file: str | None = None, member: str = "m-1",
                 service: tuple[date, date] = (date(2024, 2, 1), date(2024, 2, 1))) -> dict:  # fmt: skip
    return csv(
        landed=landed, file=file or f"claims/partner={partner}/dt={landed:%Y-%m-%d}/claims_{partner}.csv",
        line=line + 1, partner_id=partner, claim_id=claim, claim_line=line, member_id=member,
        rendering_npi="1234567893", payer_id="pay-9", payer_name="Acme Health", service_from=service[0],
        service_to=service[1], icd10_primary=icd10, icd10_secondary=[], procedure_code=procedure, units=1,
        billed_amount=D(billed), allowed_amount=D(allowed), paid_amount=D(paid), claim_status=status,
        denial_reason=denial, received_date=date(2024, 2, 10), warnings=[],
    )  # fmt: skip


def test_partner_claims_roll_lines_up_to_claims(spark):
    rows = [
        partner_line("p1", "A", 1, "paid", "100.00", "80.00", "70.00", service=(date(2024, 2, 1), date(2024, 2, 2))),
        partner_line("p1", "A", 2, "denied", "50.00", "0.00", "0.00", procedure="G0442", icd10="I10",
                     denial="CO-50", service=(date(2024, 1, 31), date(2024, 2, 1))),
        partner_line("p1", "B", 1, "denied", "10.00", "0.00", "0.00", denial="CO-50"),
        partner_line("p1", "B", 2, "denied", "20.00", "0.00", "0.00", denial="CO-97"),
        partner_line("p1", "C", 1, "paid", "10.00", "10.00", "10.00"),
        partner_line("p1", "C", 2, "pending", "10.00", "0.00", "0.00"),
        partner_line("p1", "D", 1, "paid", "10.00", "10.00", "10.00"),
        partner_line("p1", "D", 2, "adjusted", "10.00", "8.00", "8.00"),
        # Claim E sent, then resent with a corrected amount in a later file: the later line wins.
        partner_line("p1", "E", 1, "paid", "100.00", "90.00", "90.00"),
        partner_line("p1", "E", 1, "paid", "120.00", "90.00", "90.00", landed=L2),
        # The same claim number at another partner is another claim.
        partner_line("p2", "A", 1, "paid", "5.00", "5.00", "5.00", member="m-7"),
    ]  # fmt: skip
    claims, lines = C.partner_claims(bronze(spark, "partner_claim_line", rows))
    assert as_rows(
        claims, "claim_key", "source", "member_source_id", "claim_status", "denial_reason", "diagnosis_code",
        "billed_amount", "allowed_amount", "paid_amount", "line_count",
    ) == [
        # Lines paid + denied: not every line denied -> paid; the claim's diagnosis and denial
        # reason are line 1's (none); sums of the lines.
        ("p1:A", "partner:p1", "p1:m-1", "paid", None, "E11.9", D("150.00"), D("80.00"), D("70.00"), 2),
        # Every line denied -> denied, with the first line's reason.
        ("p1:B", "partner:p1", "p1:m-1", "denied", "CO-50", "E11.9", D("30.00"), D("0.00"), D("0.00"), 2),
        ("p1:C", "partner:p1", "p1:m-1", "pending", None, "E11.9", D("20.00"), D("10.00"), D("10.00"), 2),
        ("p1:D", "partner:p1", "p1:m-1", "adjusted", None, "E11.9", D("20.00"), D("18.00"), D("18.00"), 2),
        ("p1:E", "partner:p1", "p1:m-1", "paid", None, "E11.9", D("120.00"), D("90.00"), D("90.00"), 1),
        ("p2:A", "partner:p2", "p2:m-7", "paid", None, "E11.9", D("5.00"), D("5.00"), D("5.00"), 1),
    ]  # fmt: skip
    # Claim A's full row: service period from the earliest line start to the latest line end, as
    # midnight UTC timestamps; partner diagnoses are ICD-10-CM; payer keyed by name.
    expected_a = frame(
        spark,
        [("p1:A", "A", "partner:p1", None, "p1:m-1", None, "acme_health", "Acme Health", "1234567893", None, None,
          None, datetime(2024, 1, 31), datetime(2024, 2, 2), "E11.9", "icd10cm", D("150.00"), D("80.00"),
          D("70.00"), "paid", None, False, False, False, 2, None, L1, "claims/partner=p1/dt=2024-03-01/claims_p1.csv")],
        CLAIM_SCHEMA,
    )  # fmt: skip
    assert_frame(claims.where("claim_key = 'p1:A'"), expected_a, ["claim_key"])
    expected_lines_rows = [
        # 5-digit codes are CPT, a letter + 4 digits HCPCS Level II; each line keeps its status.
        ("p1:A", "partner:p1", 1, "99213", "cpt", None, 1, D("100.00"), D("80.00"), D("70.00"), "paid", None),
        ("p1:A", "partner:p1", 2, "G0442", "hcpcs", None, 1, D("50.00"), D("0.00"), D("0.00"), "denied", "CO-50"),
    ]  # fmt: skip
    expected_lines = frame(spark, expected_lines_rows, LINE_SCHEMA)
    assert_frame(lines.where("claim_key = 'p1:A'"), expected_lines, ["line_number"])


def test_a_resent_partner_claim_replaces_all_lines_of_the_earlier_file(spark):
    file_a, file_b = "claims/partner=p1/dt=2024-03-01/a.csv", "claims/partner=p1/dt=2024-03-01/b.csv"
    rows = [
        partner_line("p1", "F", 1, "paid", "100.00", "80.00", "80.00", landed=L1),
        partner_line("p1", "F", 2, "paid", "40.00", "40.00", "40.00", landed=L1),
        # Resent the next day with line 1 corrected and line 2 removed: the claim is the resend's.
        partner_line("p1", "F", 1, "paid", "110.00", "80.00", "80.00", landed=L2),
        # Two files landed at the same time: the greater file name (b) is the newer; a's line 2 goes.
        partner_line("p1", "G", 1, "paid", "10.00", "10.00", "10.00", file=file_a),
        partner_line("p1", "G", 2, "paid", "20.00", "20.00", "20.00", file=file_a),
        partner_line("p1", "G", 1, "paid", "15.00", "15.00", "15.00", file=file_b),
        # One file with line 1 twice (source lines 2 and 5): the later copy in the file wins.
        partner_line("p1", "H", 1, "paid", "30.00", "30.00", "30.00"),
        {**partner_line("p1", "H", 1, "paid", "35.00", "35.00", "35.00"), "source_line": 5},
    ]  # fmt: skip
    claims, lines = C.partner_claims(bronze(spark, "partner_claim_line", rows))
    assert as_rows(claims, "claim_key", "billed_amount", "line_count", "landed_at", "source_file") == [
        ("p1:F", D("110.00"), 1, "2024-03-02 06:00:00", "claims/partner=p1/dt=2024-03-02/claims_p1.csv"),
        ("p1:G", D("15.00"), 1, "2024-03-01 06:00:00", file_b),
        ("p1:H", D("35.00"), 1, "2024-03-01 06:00:00", "claims/partner=p1/dt=2024-03-01/claims_p1.csv"),
    ]
    assert as_rows(lines, "claim_key", "line_number", "billed_amount") == [
        ("p1:F", 1, D("110.00")),
        ("p1:G", 1, D("15.00")),
        ("p1:H", 1, D("35.00")),
    ]


# --- candidates and latest wins across sources ------------------------------------------------


def test_claim_candidates_latest_wins_and_lines_follow_the_winning_version(spark, fhir_output):
    fhir_claims, fhir_lines, _ = fhir_output
    # Synthea's CSV describes the same claim c-1 (same id), landed a day after the FHIR copy,
    # with one CHARGE line.
    csv_claims, csv_lines = C.csv_claims(
        bronze(spark, "csv_claims", [claim_row("c-1", "0", None, landed=L2)]),
        bronze(
            spark,
            "csv_claims_transactions",
            [transaction("t1", "c-1", "CHARGE", "185345009", amount=D("129.16"), landed=L2)],
        ),
        frame(spark, [], "payer_id string, payer_name string"),
    )
    partner_claims, partner_lines = C.partner_claims(
        bronze(spark, "partner_claim_line", [partner_line("p1", "c-1", 1, "paid", "9.00", "9.00", "9.00")])
    )
    candidates = C.claim_candidates(fhir_claims, csv_claims, partner_claims).where("claim_key like '%c-1'")
    ranked = build.ranked_versions(candidates, "fct_claim")
    # c-1: the FHIR version has meta.lastUpdated, first in the declared order (nulls last), so it
    # wins over the later-landed CSV version. The partner's claim c-1 is keyed p1:c-1: no clash.
    assert as_rows(ranked, "claim_key", "source", build.RANK) == [
        ("c-1", "ehr_csv", 2),
        ("c-1", "ehr_fhir", 1),
        ("p1:c-1", "partner:p1", 1),
    ]
    line_rows = C.line_candidates(build.winners(ranked), fhir_lines, csv_lines, partner_lines)
    # Only the winning version's lines: FHIR's two lines of c-1, not the CSV's one.
    assert as_rows(line_rows, "claim_key", "source", "line_number", "billed_amount") == [
        ("c-1", "ehr_fhir", 1, D("100.00")),
        ("c-1", "ehr_fhir", 2, D("29.16")),
        ("p1:c-1", "partner:p1", 1, D("9.00")),
    ]
    ranked_lines = build.ranked_versions(line_rows, "fct_claim_line")
    assert as_rows(ranked_lines, "claim_key", "line_number", build.RANK) == [
        ("c-1", 1, 1), ("c-1", 2, 1), ("p1:c-1", 1, 1),
    ]  # fmt: skip
