"""FHIR R4 bundles and bulk NDJSON."""
