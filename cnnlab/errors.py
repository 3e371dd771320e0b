"""The one exception family a user can cause, so that the CLI and the TUI can show it as a sentence.

Every error here carries a message that says what happened and what to do; the boundaries (CLI,
TUI, job processes) catch `CnnlabError` and show it, while programming errors still raise.
"""

from __future__ import annotations


class CnnlabError(Exception):
    """An error caused by the user's input or environment, with a one-line explanation."""

    # Whether a job's log gets cnnlab's traceback of it: for an error of cnnlab's own making
    # it helps; a script's non-zero exit is the script's story, already told in the log above.
    traceback_in_log = True


class ConfigError(CnnlabError):
    """A `cnnlab.toml` file that cannot be read, or holds an unknown key or a bad value."""
