"""cnnlab: a terminal experiment manager for small CNNs that must run fast on phones.

The package root stays import-light on purpose: the CLI and the TUI start from here and must
never pay for TensorFlow, numpy or the store until a command actually needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"
