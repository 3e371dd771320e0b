"""Errors a user can cause with a dataset path or spec, shown by the CLI and jobs as a sentence."""

from __future__ import annotations

from cnnlab.errors import CnnlabError


class DatasetError(CnnlabError):
    """A dataset that is missing, empty, inconsistent or asked for in a way that cannot work."""
