"""The shape every user error must have on the way out of the CLI: one `Error:` line on stderr."""

from __future__ import annotations


def one_error_line(stderr: str, *fragments: str) -> str:
    """The single `Error:` line of `stderr`, checked to hold every fragment and no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
