"""Glue entry scripts, one per job in manifest.yaml (thin: arguments, read, transform, write)."""
