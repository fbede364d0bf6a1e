"""``python -m veo_magic.simulator``; ``main`` is importable (``veo-magic simulate`` uses it)."""

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
