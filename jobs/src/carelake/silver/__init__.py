"""bronze -> silver: conformed, deduplicated entities with one identity per patient."""
