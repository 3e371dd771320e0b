"""The one exception family a user can cause, so that the CLI and the TUI can show it as a sentence.

Every error here carries a message that says what happened and what to do; the boundaries (CLI,
TUI, job processes) catch `CnnlabError` and show it, while programming errors still raise.
"""

from __future__ import annotations


class CnnlabError(Exception):
    """An error caused by the user's input or environment, with a one-line explanation."""


class ConfigError(CnnlabError):
    """A `cnnlab.toml` file that cannot be read, or holds an unknown key or a bad value."""
