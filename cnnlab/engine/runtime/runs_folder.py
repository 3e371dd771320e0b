"""The runs folder beside the database, checked before a job's row is written.

Every job writes its log, checkpoints and models under runs/<id>/, and the scheduler its lock
and log under runs/. A `runs` that is a file, or a folder the user cannot write, used to surface
as a FileExistsError or PermissionError traceback after the row was queued: a job that never
ran. Every path that queues a job (submit, resume, import) calls `check_runs_folder` first, so
the refusal is one sentence and the database is unchanged.
"""

from __future__ import annotations

from cnnlab.data.writable import folder_write_problem
from cnnlab.errors import CnnlabError
from cnnlab.store import Store


def check_runs_folder(store: Store) -> None:
    """Refuse, with what to do, when the jobs of `store` could not write their files."""
    problem = folder_write_problem(store.runs_dir)
    if problem is not None:
        raise CnnlabError(
            f"Cannot queue a job: its files go under {store.runs_dir}, but {problem}; move a "
            "file of that name away or fix the permissions, or use a database in another "
            "folder (--db)."
        )
