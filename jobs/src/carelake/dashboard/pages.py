"""The two dashboard pages: what each shows, to whom, and how it is marked.

* ``analyst``: de-identified aggregates for analysts and leadership. Every chart reads a report
  view (small cells suppressed) or the data-quality summary; no patient-level row, no PHI view.
* ``care-team``: the coordinators' worklist and the high-risk outreach list, patient by patient.
  PHI: the page, its PDF and its file names say so, and it is for the care team only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from carelake.dashboard.charts import ANALYST_CHARTS, CARE_TEAM_CHARTS, ChartSpec
from carelake.dashboard.kpis import care_team_kpi_lines, kpi_lines
from carelake.query import LocalQueryEngine

DEIDENTIFIED, PHI = "deidentified", "phi"


@dataclass(frozen=True)
class PageSpec:
    page_id: str  # also the file name: <page_id>.html, <page_id>.pdf
    title: str
    classification: str  # deidentified | phi
    banner: str  # the marking every reader sees first
    charts: tuple[ChartSpec, ...]
    kpis: Callable[[LocalQueryEngine], list[str]]


ANALYST = PageSpec(
    page_id="analyst",
    title="carelake analytics: readmissions, outreach, cost, denials and cohorts",
    classification=DEIDENTIFIED,
    banner=(
        "De-identified aggregates: no patient-level data; counts under 11 are shown as <11 and the "
        "rates resting on them hidden (CMS cell-size rule). Observed rates, no risk adjustment."
    ),
    charts=ANALYST_CHARTS,
    kpis=kpi_lines,
)
CARE_TEAM = PageSpec(
    page_id="care-team",
    title="carelake care team: worklist and high-risk patients",
    classification=PHI,
    banner=(
        "CONTAINS PHI: patient-level lists for the care team only. Do not forward, print for others "
        "or attach to tickets."
    ),
    charts=CARE_TEAM_CHARTS,
    kpis=care_team_kpi_lines,
)
PAGES: tuple[PageSpec, ...] = (ANALYST, CARE_TEAM)
