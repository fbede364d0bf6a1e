"""The clip's HTML: relative by default, embedded where needed, a poster frame, a size cap."""

import html
import re
import sys

import pytest

from veo_magic._exceptions import VeoInputError
from veo_magic.media.stills import existing_poster, poster_for, thumbnail_for
from veo_magic.notebook.display import (
    clip_html,
    embed_by_default,
    embed_cap,
    relative_url,
)


def test_relative_url_only_under_cwd(tmp_path):
    inside = tmp_path / "veo_outputs" / "a clip#1.mp4"
    assert relative_url(inside) == "veo_outputs/a%20clip%231.mp4"
    assert relative_url(tmp_path.parent / "elsewhere.mp4") is None


def test_default_html_is_small_and_relative(mp4):
    body = clip_html(mp4.relative_to(mp4.parents[1]))
    assert "<video controls" in body
    assert 'src="veo_outputs/clip.mp4"' in body
    # the poster is fallback content: JupyterLab resolves src, not poster=
    assert '<img src="veo_outputs/clip.jpg" alt="clip.mp4"></video>' in body
    assert "poster=" not in body
    assert 'download="clip.mp4"' in body
    assert len(body.encode()) < 1000  # a saved notebook grows by bytes, not megabytes


def test_poster_is_made_once_beside_the_clip(mp4):
    poster = poster_for(mp4)
    assert poster == mp4.with_suffix(".jpg") and poster.read_bytes()[:2] == b"\xff\xd8"
    mtime = poster.stat().st_mtime_ns
    assert poster_for(mp4).stat().st_mtime_ns == mtime


def test_html_without_making_the_poster(mp4):
    # make_poster=False runs no ffmpeg; the fallback <img> names where the frame will be
    assert existing_poster(mp4) is None
    body = clip_html(mp4, make_poster=False)
    assert '<img src="veo_outputs/clip.jpg" alt="clip.mp4"></video>' in body
    assert not mp4.with_suffix(".jpg").exists()
    assert "poster=" not in clip_html(mp4, embed=True, make_poster=False)  # no bytes yet
    poster_for(mp4)
    assert existing_poster(mp4) == mp4.with_suffix(".jpg")
    assert clip_html(mp4, make_poster=False) == clip_html(mp4)
    assert 'poster="data:image/jpeg' in clip_html(mp4, embed=True, make_poster=False)
    assert existing_poster(mp4.with_name("gone.mp4")) is None


def test_short_clip_still_gets_a_poster(make_mp4, tmp_path):
    clip = make_mp4(tmp_path / "short.mp4", seconds=0.5)
    assert poster_for(clip) is not None


def test_thumbnail(mp4):
    poster = poster_for(mp4)
    thumb = thumbnail_for(poster, width=32)
    assert thumb is not None and thumb.name == "clip.thumb.jpg"


def test_embed_puts_bytes_in_the_page(mp4):
    body = clip_html(mp4, embed=True)
    assert 'src="data:video/mp4;base64,' in body
    assert 'poster="data:image/jpeg;base64,' in body


def test_embed_over_the_cap_falls_back_to_the_file(mp4):
    body = clip_html(mp4, embed=True, cap=100)
    assert 'src="veo_outputs/clip.mp4"' in body and "too large to embed" in body


def test_file_outside_the_notebook_folder(mp4, monkeypatch, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    body = clip_html(mp4)
    assert "<video" not in body and html.escape(str(mp4)) in body
    assert "<video" in clip_html(mp4, embed=True)


def test_embed_detection(monkeypatch):
    assert not embed_by_default()
    monkeypatch.setenv("VSCODE_PID", "123")
    assert embed_by_default()
    monkeypatch.delenv("VSCODE_PID")
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert embed_by_default()


def test_embed_cap_from_env(monkeypatch):
    assert embed_cap() == 20 * 1024 * 1024
    monkeypatch.setenv("VEO_EMBED_MAX_MB", "1.5")
    assert embed_cap() == int(1.5 * 1024 * 1024)
    monkeypatch.setenv("VEO_EMBED_MAX_MB", "lots")  # one policy: refused, naming the variable
    with pytest.raises(VeoInputError, match=r"VEO_EMBED_MAX_MB='lots' is not a number") as info:
        embed_cap()
    assert info.value.field == "VEO_EMBED_MAX_MB"
    monkeypatch.delenv("VEO_EMBED_MAX_MB")
    assert embed_cap() == 20 * 1024 * 1024


def test_the_final_clip_carries_its_thumbnail_inline(mp4):
    body = clip_html(mp4, make_poster=False, inline_poster=True)
    assert "poster=" not in body  # no thumbnail made yet: the relative frame, as when live
    assert '<img src="veo_outputs/clip.jpg" alt="clip.mp4"></video>' in body
    poster_for(mp4)  # the runner makes the frame and its thumbnail before Downloaded
    body = clip_html(mp4, make_poster=False, inline_poster=True)
    picture = re.search(r'poster="(data:image/jpeg;base64,[^"]+)"', body).group(1)
    assert f'<img src="{picture}" alt="clip.mp4: a frame of the clip"></video>' in body
    assert 'src="veo_outputs/clip.mp4"' in body and 'download="clip.mp4"' in body
    assert "veo_outputs/clip.jpg" not in body  # nothing a viewer must fetch but the clip
    assert clip_html(mp4, make_poster=False) == clip_html(mp4)  # live: as small as before
