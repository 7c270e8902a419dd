"""carelake.silver.outreach: outreach events as fct_outreach candidates, deduplicated by record id.

Firehose delivers at least once, so the same event can arrive twice; fct_outreach's declared
order (registry) keeps the latest landing, then the greater file, then the first line.
A successful outreach is 'reached' or 'completed' (docs/data-contracts.md).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from carelake.silver import build
from carelake.silver.outreach import outreach_candidates
from tests.support.silver_frames import L1, L2, as_rows, assert_frame, bronze, csv, frame

pytestmark = pytest.mark.spark

FILE_A = "care_mgmt/dt=2024-03-01/firehose-a"
FILE_B = "care_mgmt/dt=2024-03-02/firehose-b"
EVENT_AT = datetime(2024, 3, 2, 19, 5)  # 14:05 at UTC-5


def event(record: str, status: str, *, landed: datetime = L1, file: str = FILE_A, line: int = 1,
          note: str = "called") -> dict:  # fmt: skip
    return csv(
        landed=landed, file=file, line=line, record_id=record, patient_id="MRN-001", coordinator_id="cm-007",
        event_at=EVENT_AT, event_local_date=date(2024, 3, 2), channel="phone", status=status, note=note,
        received_at=datetime(2024, 3, 2, 19, 5, 1),
    )  # fmt: skip


def test_outreach_candidates_conform_and_flag_successful_outreach(spark):
    rows = [event("r-1", "reached"), event("r-2", "left_message", line=2), event("r-3", "completed", line=3),
            event("r-4", "declined", line=4)]  # fmt: skip
    received = datetime(2024, 3, 2, 19, 5, 1)

    def expected_row(record: str, status: str, successful: bool, line: int) -> tuple:
        return (record, "MRN-001", "cm-007", EVENT_AT, date(2024, 3, 2), "phone", status, successful, "called",
                received, L1, FILE_A, line)  # fmt: skip

    expected = frame(
        spark,
        [
            # The patient id of an outreach event is the EHR MRN.
            expected_row("r-1", "reached", True, 1),
            expected_row("r-2", "left_message", False, 2),
            expected_row("r-3", "completed", True, 3),
            expected_row("r-4", "declined", False, 4),
        ],
        "outreach_id string, mrn string, coordinator_id string, event_at timestamp, event_local_date date, "
        "channel string, status string, is_successful boolean, note string, received_at timestamp, "
        "landed_at timestamp, source_file string, source_line int",
    )
    assert_frame(outreach_candidates(bronze(spark, "outreach_event", rows)), expected, ["outreach_id"])


def test_redelivered_outreach_events_deduplicated(spark):
    rows = [
        # r-1 delivered twice: the copy that landed later wins.
        event("r-1", "reached", note="first delivery"),
        event("r-1", "reached", landed=L2, file=FILE_B, note="redelivered"),
        # r-2 twice at the same landing time in two files: the greater file name wins.
        event("r-2", "reached", landed=L2, file=FILE_A, line=2, note="file a"),
        event("r-2", "reached", landed=L2, file=FILE_B, line=2, note="file b"),
        # r-3 twice in one file: the first line wins.
        event("r-3", "reached", line=5, note="line 5"),
        event("r-3", "reached", line=3, note="line 3"),
    ]
    ranked = build.ranked_versions(outreach_candidates(bronze(spark, "outreach_event", rows)), "fct_outreach")
    assert as_rows(build.winners(ranked), "outreach_id", "note") == [
        ("r-1", "redelivered"),
        ("r-2", "file b"),
        ("r-3", "line 3"),
    ]
    assert ranked.where(f"{build.RANK} = 2").count() == 3
