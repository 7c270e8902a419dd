"""Gold: the star schema, provider/treatment tables, LACE readmission risk and the DQ summary.

Pure ``DataFrame -> DataFrame`` transforms (no I/O) except carelake.gold.io, which the entry
script (carelake.entrypoints.silver_to_gold) uses to read silver and write gold.

- schemas: every gold table's columns, types and grain (TABLES, declarations for carelake.registry)
- deid: the analysts' de-identified tables built from the limited-data-set facts
- inputs: the silver columns gold reads
- reference: reference data (carelake.reference) as lookup frames and helper UDFs
- dimensions, encounters, claims, treatments, lace, quality, dates, deidentify: the tables
- build: ``build_gold`` (silver frames -> gold frames); io: read, write, counts
"""
