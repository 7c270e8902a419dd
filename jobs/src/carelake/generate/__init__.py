"""``carelake generate``: a fast, deterministic generator of Synthea-shaped data.

Synthea (Java) cannot run here, so this package simulates a population the way Synthea
would export it (FHIR R4 bundles and NDJSON, the v3 CSV export) plus the other sources
carelake lands: partner claims, care-management outreach and DynamoDB treatment exports.
See :mod:`carelake.generate.population` for the output layout and
:mod:`carelake.generate.catalog` for every code it emits.
"""

from carelake.generate.population import GenerationReport, generate_population

__all__ = ["GenerationReport", "generate_population"]
