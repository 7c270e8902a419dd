"""fct_outreach: one row per outreach event (Firehose delivers at least once: dedup by record id)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from carelake.sources.outreach.contract import SUCCESSFUL_STATUSES


def outreach_candidates(bronze_outreach: DataFrame) -> DataFrame:
    """Every delivered copy of every event (build dedups on outreach_id)."""
    return bronze_outreach.select(
        F.col("record_id").alias("outreach_id"),
        F.col("patient_id").alias("mrn"),
        "coordinator_id",
        "event_at",
        "event_local_date",
        "channel",
        "status",
        F.col("status").isin(*SUCCESSFUL_STATUSES).alias("is_successful"),
        "note",
        "received_at",
        "landed_at",
        "source_file",
        "source_line",
    )
