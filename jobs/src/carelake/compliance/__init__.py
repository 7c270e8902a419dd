"""HIPAA Security Rule evidence: the controls catalog (docs/hipaa/controls.yaml), the document
generated from it (docs/hipaa-controls.md) and the read-only evidence runner."""
