"""EHR FHIR R4 feed: where it lands, the resource types, and the bronze tables it fills.

Bundles (``.json``, Synthea's transaction bundles or a single resource) and bulk NDJSON
(``.ndjson``, ``.ndjson.gz``) land under ``raw/ehr/fhir/dt=<date>/``. Every valid R4
resource becomes one bronze row: the common columns every resource type shares plus the
resource JSON. Each type Synthea writes has a table of its own; any other valid R4 type
lands in ``bronze.fhir_other`` with its resource_type, so nothing is dropped. Adding a
type with a table of its own is one line in BRONZE_RESOURCE_TYPES.
"""

from __future__ import annotations

import re

from carelake.declarations import Classification, FileKind, RawSource, Table, schema

SOURCE = "ehr_fhir"  # quarantine.quarantined_record.source
RAW = RawSource(
    name=SOURCE,
    description="EHR FHIR R4: transaction/collection Bundles or single resources (.json) and bulk NDJSON.",
    job="raw_to_bronze",
    prefix="ehr/fhir",
    layout="dt=<YYYY-MM-DD>/<any folders>/<file>.json | .ndjson | .ndjson.gz",
    path_pattern=r"dt=(?P<dt>\d{4}-\d{2}-\d{2})/.+",
    formats={".json": FileKind.WHOLE_TEXT, ".ndjson": FileKind.LINES, ".ndjson.gz": FileKind.LINES},
    expected_every_hours=26,
)

# https://hl7.org/fhir/R4/resourcelist.html (4.0.1)
R4_RESOURCE_TYPES: frozenset[str] = frozenset(
    """
    Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent
    Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam
    CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem
    Communication CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent
    Contract Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
    DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest
    DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest EnrollmentResponse
    EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit
    FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy
    Immunization ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan
    Invoice Library Linkage List Location Measure MeasureReport Media Medication MedicationAdministration
    MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
    MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductIndication
    MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured
    MedicinalProductPackaged MedicinalProductPharmaceutical MedicinalProductUndesirableEffect
    MessageDefinition MessageHeader MolecularSequence NamingSystem NutritionOrder Observation
    ObservationDefinition OperationDefinition OperationOutcome Organization OrganizationAffiliation
    Parameters Patient PaymentNotice PaymentReconciliation Person PlanDefinition Practitioner
    PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson RequestGroup
    ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment
    RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
    StructureDefinition StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer
    SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification
    SupplyDelivery SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet
    VerificationResult VisionPrescription
    """.split()  # noqa: SIM905 - laid out like the spec's resource list
)

# Resource types with a bronze table of their own: every type Synthea writes (patient
# bundles, hospital and practitioner bundles). Any other valid R4 type lands in
# bronze.fhir_other with its resource_type, so nothing is dropped.
BRONZE_RESOURCE_TYPES: tuple[str, ...] = (
    "AllergyIntolerance", "CarePlan", "CareTeam", "Claim", "Condition", "Coverage", "Device",
    "DiagnosticReport", "DocumentReference", "Encounter", "ExplanationOfBenefit", "ImagingStudy",
    "Immunization", "Location", "Medication", "MedicationAdministration", "MedicationRequest",
    "Observation", "Organization", "Patient", "Practitioner", "PractitionerRole", "Procedure",
    "Provenance", "SupplyDelivery",
)  # fmt: skip
OTHER_TABLE = "fhir_other"


def bronze_table_for(resource_type: str) -> str:
    """bronze table name for a resource type: ExplanationOfBenefit -> fhir_explanation_of_benefit."""
    if resource_type not in BRONZE_RESOURCE_TYPES:
        return OTHER_TABLE
    return "fhir_" + re.sub(r"(?<!^)(?=[A-Z])", "_", resource_type).lower()


# Columns of every bronze FHIR table, in order (dt, the batch date, is the partition column).
BRONZE_SCHEMA = schema(
    "resource_type string, resource_id string, meta_last_updated timestamp, meta_version_id string, "
    "status string, patient_ref string, encounter_ref string, code_system string, code string, "
    "code_display string, effective_start timestamp, effective_end timestamp, full_url string, "
    "request_method string, request_url string, resource_json string, source_file string, source_line int, "
    "source_entry int, landed_at timestamp"
)


def _bronze_table(name: str, description: str) -> Table:
    return Table(
        "bronze", name, description, BRONZE_SCHEMA, key=(), classification=Classification.PHI,
        direct_identifiers=("resource_json",), partition_keys=("dt",),
    )  # fmt: skip


TABLES: tuple[Table, ...] = (
    *(
        _bronze_table(
            bronze_table_for(t), f"FHIR R4 {t} resources as landed: common columns + the resource JSON."
        )
        for t in BRONZE_RESOURCE_TYPES
    ),
    _bronze_table(OTHER_TABLE, "Valid FHIR R4 resources of types without a table of their own."),
)
