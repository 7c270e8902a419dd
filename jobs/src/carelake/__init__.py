"""carelake: a HIPAA-aligned healthcare lakehouse (PySpark jobs, Athena views, local runner)."""
