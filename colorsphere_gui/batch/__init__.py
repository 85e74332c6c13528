"""Folder jobs: discovery, output names, the job record, the report, and the runners that do the work.

One job description, several runners: discovery (discovery.py), output naming and collisions
(naming.py), skip rules, the record (record.py) and the report (report.py) are decided on the driver by
BatchJob (driver.py); a runner (runner.LocalRunner here, a Ray runner on a cluster) only turns
"colorize this source into that temporary file" into work and delivers each result. Sources are only
ever read.
"""

from .discovery import discover
from .driver import BatchJob, Runner, Session, SetupError, file_digest, rename_into_place, run_batch
from .job import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    BatchSettings,
    BatchSummary,
    FileResult,
    Job,
    Task,
)
from .record import LEGACY_MANIFEST_NAME, RECORD_NAME, Record
from .report import REPORT_NAME, write_report
from .runner import BatchRunner, LocalRunner, OnDemand, Stages, stages_of, write_output

# The file whose presence says that an earlier batch wrote into a folder (the GUI asks before starting
# over); it was a JSON manifest before the record moved to SQLite.
MANIFEST_NAME = RECORD_NAME

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_STOPPED",
    "EXIT_USAGE",
    "LEGACY_MANIFEST_NAME",
    "MANIFEST_NAME",
    "RECORD_NAME",
    "REPORT_NAME",
    "BatchJob",
    "BatchRunner",
    "BatchSettings",
    "BatchSummary",
    "FileResult",
    "Job",
    "LocalRunner",
    "OnDemand",
    "Record",
    "Runner",
    "Session",
    "SetupError",
    "Stages",
    "Task",
    "discover",
    "file_digest",
    "rename_into_place",
    "run_batch",
    "stages_of",
    "write_output",
    "write_report",
]
