"""FHIR R4 (4.0.1) resource types, and which of them get their own bronze table."""

from __future__ import annotations

import re

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
