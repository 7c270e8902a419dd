"""carelake: a HIPAA-aligned healthcare lakehouse (PySpark jobs, Athena views, local runner)."""

__version__ = "0.1.0"
