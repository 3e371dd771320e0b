"""A `fit` row has no runner: the training ran in the user's own code (module docstring of
`cnnlab.engine.kinds.fit`). Reaching this is a queued `fit` row, which nothing makes."""

from __future__ import annotations

from typing import Any

from cnnlab.engine.kinds.fit.spec import FitSpec
from cnnlab.errors import CnnlabError


def run_fit(spec: FitSpec, job: Any) -> Any:
    raise CnnlabError(
        f"A recorded fit ({spec.source}) is not run by cnnlab; run your own code again, "
        "or `cnnlab run -- python YOUR_SCRIPT.py` to have cnnlab run it as a job."
    )
