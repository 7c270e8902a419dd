"""The Synthea CSV export."""
