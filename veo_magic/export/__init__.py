"""``veo-magic export``: a notebook as one HTML page (or zip) with its clips inside."""

from __future__ import annotations

from .exporter import DEFAULT_MAX_MB, Exported, clips_shown, export, export_html, export_zip

__all__ = ["DEFAULT_MAX_MB", "Exported", "clips_shown", "export", "export_html", "export_zip"]
