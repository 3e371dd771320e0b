"""`python -m cnnlab` runs the CLI, for environments where the console script is not on PATH."""

from __future__ import annotations

from cnnlab.cli import main

main()
