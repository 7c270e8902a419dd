"""raw -> bronze: FHIR and Synthea CSV parsing."""
