"""Media files: a clip's stills (poster, thumbnail, last frame, data URLs), its facts
(``probe``) and films stitched from several clips, all with the ffmpeg imageio-ffmpeg ships."""

from __future__ import annotations

from .film import Film, Track, read_track, stitch
from .probe import ClipInfo, probe
from .stills import (
    THUMB_MAX_BYTES,
    data_url,
    existing_poster,
    existing_thumbnail,
    last_frame,
    poster_for,
    still_data_url,
    thumbnail_for,
)

__all__ = [
    "THUMB_MAX_BYTES",
    "ClipInfo",
    "Film",
    "Track",
    "data_url",
    "existing_poster",
    "existing_thumbnail",
    "last_frame",
    "poster_for",
    "probe",
    "read_track",
    "still_data_url",
    "stitch",
    "thumbnail_for",
]
