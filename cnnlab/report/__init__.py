"""Reports from the store: paper-style tables of repeated runs and publication figures.

Importing this package loads neither TensorFlow nor matplotlib; drawing a figure loads the latter.
"""

from __future__ import annotations

from cnnlab.report.tables import (
    Comparison,
    GroupReport,
    RunRow,
    Stats,
    compare,
    group_members,
    group_report,
    render,
)

__all__ = [
    "Comparison",
    "GroupReport",
    "RunRow",
    "Stats",
    "compare",
    "group_members",
    "group_report",
    "render",
]
