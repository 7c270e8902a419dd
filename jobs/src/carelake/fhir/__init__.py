"""FHIR R4 handling shared by the jobs."""
