"""VideoRequest.build on the gemini protocol: Google's rules, checked before anything is sent."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from tests.images import png_bytes
from veo_magic._exceptions import VeoInputError
from veo_magic.options.flags import add_request_options, request_kwargs
from veo_magic.requests.request import EXTENSION_SECONDS, VERTEX_ONLY, VideoRequest

URI = "https://generativelanguage.googleapis.com/v1beta/files/abc123:download?alt=media"


def build(**kwargs):
    kwargs.setdefault("protocol", "gemini")
    return VideoRequest.build(kwargs.pop("prompt", "a lighthouse at dusk"), **kwargs)


def refused(**kwargs) -> VeoInputError:
    with pytest.raises(VeoInputError) as info:
        build(**kwargs)
    return info.value


@pytest.mark.parametrize("option", sorted(VERTEX_ONLY))
def test_vertex_only_options_are_refused_by_name(option):
    error = refused(**{option: 1})
    assert error.field == option
    assert option in str(error) and "Vertex AI" in str(error)


def test_vertex_options_are_refused_by_name_on_the_relays():
    with pytest.raises(VeoInputError, match=r"generate_audio=True is a Vertex AI option.*vertex"):
        build(protocol="videos", generate_audio=True)
    with pytest.raises(VeoInputError, match="fps=24 is not an option"):
        build(protocol="videos", fps=24)
    assert build(protocol="videos", seed=7).seed == 7  # relays forward a seed


def test_googles_default_shape_is_landscape():
    r = build()
    assert r.wire_model == "veo-3.1-generate-preview" and r.orientation is None
    assert r.pixel_size == (1280, 720)
    assert build(orientation="portrait").pixel_size == (720, 1280)
    assert build(fast=True).wire_model == "veo-3.1-fast-generate-preview"


@pytest.mark.parametrize(
    ("size", "pixels", "resolution"),
    [
        ("1920x1080", (1920, 1080), "1080p"),
        ("1080x1920", (1080, 1920), "1080p"),
        ("1280x720", (1280, 720), "720p"),
        ("9:16", (720, 1280), None),
    ],
)
def test_size_on_gemini(size, pixels, resolution):
    r = build(size=size)
    assert r.pixel_size == pixels and r.options.get("resolution") == resolution


def test_a_pixel_size_veo_does_not_make_is_refused():
    assert refused(size="1792x1024").field == "size"
    assert "1080p" in str(refused(size="1920x1080", resolution="720p"))


def test_resolution_and_person_generation():
    r = build(resolution="1080p", person_generation="ALLOW_ALL", landscape=True)
    assert r.options == {"resolution": "1080p", "person_generation": "allow_all"}
    assert r.pixel_size == (1920, 1080)
    assert refused(resolution="480p").field == "resolution"


@pytest.mark.parametrize("seconds", [4, 6, 8, "6"])
def test_durations(seconds):
    assert build(seconds=seconds).seconds == int(seconds)


def test_other_durations_are_refused():
    assert refused(seconds=5).allowed == (4, 6, 8)


def test_images_must_be_bytes_not_urls():
    error = refused(first_frame="https://images.test/a.png")
    assert error.field == "first_frame" and "inline" in str(error)


def test_at_most_three_references_and_never_with_frames():
    assert refused(references=[png_bytes()] * 4).field == "references"
    assert refused(references=[png_bytes()], first_frame=png_bytes()).field == "references"
    assert len(build(references=[png_bytes()] * 3).references) == 3


def test_references_need_veo_3_1():
    assert refused(model="veo-3.0-generate-001", references=[png_bytes()]).field == "references"


# -- extension ----------------------------------------------------------------------------------


def finished_job(**overrides):
    job = SimpleNamespace(
        id="3fa2c1d0e9b8",
        protocol="gemini",
        status="succeeded",
        video_urls=[URI],
        record={"pixel_size": "720x1280"},
    )
    return SimpleNamespace(**{**vars(job), **overrides})


def test_extend_a_uri():
    r = build(prompt="the storm rolls in", extend=URI)
    assert r.options == {"resolution": "720p", "extend": URI}
    assert r.seconds == EXTENSION_SECONDS and r.pixel_size == (1280, 720)
    assert r.estimated_cost == pytest.approx(r.wire_spec.clip_price(EXTENSION_SECONDS))


def test_extend_a_job_keeps_its_shape():
    r = build(extend=finished_job())
    assert r.options["extend"] == URI
    assert r.orientation == "portrait" and r.pixel_size == (720, 1280)
    assert "extend" in r.describe()["options"]


@pytest.mark.parametrize(
    ("job", "words"),
    [
        (finished_job(protocol="videos"), "videos protocol"),
        (finished_job(status="running", video_urls=[]), "is running"),
        (finished_job(status="failed"), "is failed"),
    ],
)
def test_extend_refuses_a_job_it_cannot_continue(job, words):
    error = refused(extend=job)
    assert error.field == "extend" and words in str(error)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"protocol": "videos"}, "extend", "Gemini API"),
        ({"model": "veo-3.0-generate-001"}, "extend", "only Veo 3.1"),
        ({"first_frame": png_bytes()}, "extend", "takes no images"),
        ({"seconds": 8}, "seconds", "adds 7 s"),
        ({"resolution": "1080p"}, "resolution", "720p only"),
        ({"orientation": "landscape", "extend": finished_job()}, "orientation", "keeps the clip"),
    ],
)
def test_extend_refusals(kwargs, field, words):
    kwargs.setdefault("extend", URI)
    error = refused(**kwargs)
    assert error.field == field and words in str(error)


def test_extend_takes_a_uri_or_a_job_only():
    assert "not a video URI" in str(refused(extend="3fa2c1d0e9b8"))
    assert "finished Job or a video URI" in str(refused(extend=42))


# -- the shared option table --------------------------------------------------------------------


def test_cli_and_magic_options_reach_the_request():
    parser = argparse.ArgumentParser()
    add_request_options(parser)
    argv = "--resolution 720p --person-generation allow_adult --negative fog --protocol gemini"
    args = parser.parse_args([*argv.split(), "--extend", URI])
    kwargs = request_kwargs(args)
    assert kwargs == {
        "resolution": "720p",
        "person_generation": "allow_adult",
        "negative_prompt": "fog",
        "extend": URI,
        "protocol": "gemini",
    }
    # Google's rules refuse this mix (an extension takes allow_all and no negative prompt)...
    with pytest.raises(VeoInputError, match="an extension takes person_generation='allow_all'"):
        VideoRequest.build("x", **kwargs)
    # ...and every option still reaches the request it fits.
    r = VideoRequest.build(
        "x", **{**kwargs, "person_generation": "allow_all", "negative_prompt": None}
    )
    assert r.options["extend"] == URI and r.options["person_generation"] == "allow_all"
    without_extension = {k: v for k, v in kwargs.items() if k != "extend"}
    r = VideoRequest.build("x", **without_extension, first_frame=png_bytes())
    assert r.negative_prompt == "fog" and r.options["person_generation"] == "allow_adult"


def test_a_gemini_key_alone_points_at_google(monkeypatch, tmp_path):
    """With protocol gemini, GEMINI_API_KEY (or GOOGLE_API_KEY) and Google's base are the defaults."""
    from veo_magic import Client

    for name in ("VEO_BASE_URL", "VEO_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-test-key-123456")
    client = Client(protocol="gemini", output_dir=tmp_path)
    assert not client.simulated
    assert client.base_url == "https://generativelanguage.googleapis.com"
    assert "AIza-test-key-123456" not in repr(client)
    # ...while a relay client ignores Google's variables: no key, no URL -> the simulator.
    assert Client(protocol="chat", output_dir=tmp_path).simulated
