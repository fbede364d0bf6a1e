"""The ``veo-magic`` command (``main``), its terminal progress bar and ``make demo``."""

from __future__ import annotations

from .main import main

__all__ = ["main"]
