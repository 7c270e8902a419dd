"""Care-manager outreach events (Firehose JSON lines)."""
