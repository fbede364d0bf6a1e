"""Veo as Google sells it (issue 13): each rule allowed and refused, resolution routes, prices.

Every rule of ``_rules.MODEL_RULES`` and every capability the catalog gives a Google id has a case
here that passes and one that is refused before anything is sent, with the message naming the
rule and what would work.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.images import jpeg_bytes, png_bytes
from veo_magic._exceptions import VeoInputError
from veo_magic.catalog.listing import model_lines
from veo_magic.catalog.models import (
    RETIRED,
    choices_for,
    parse_model,
    resolution_routes,
    retired_message,
    set_price,
)
from veo_magic.options.rules import MAX_VEO_PROMPT_CHARS, MODEL_RULES
from veo_magic.requests.request import VideoRequest

PNG, JPG = png_bytes(), jpeg_bytes()
URI = "https://generativelanguage.googleapis.com/v1beta/files/abc123:download?alt=media"
LITE = "veo-3.1-lite-generate-preview"


pytestmark = pytest.mark.usefixtures("clean_prices")


def build(**kwargs: Any) -> VideoRequest:
    kwargs.setdefault("protocol", "gemini")
    return VideoRequest.build(kwargs.pop("prompt", "a lighthouse at dusk"), **kwargs)


def refused(**kwargs: Any) -> VeoInputError:
    with pytest.raises(VeoInputError) as info:
        build(**kwargs)
    return info.value


# -- durations that a resolution or an input fixes ------------------------------------------------


@pytest.mark.parametrize("resolution", ["1080p", "4k"])
@pytest.mark.parametrize("model", ["veo-3.1", "veo-3.1-fast"])
def test_1080p_and_4k_need_eight_seconds(model, resolution):
    assert build(model=model, resolution=resolution, seconds=8).seconds == 8
    error = refused(model=model, resolution=resolution, seconds=6)
    assert (error.field, error.value, error.allowed) == ("seconds", 6, (8,))
    assert str(error).startswith(f"seconds=6 does not work here: {resolution} needs seconds=8")
    assert "720p for 4 or 6 s" in str(error)
    assert build(model=model, resolution="720p", seconds=4).seconds == 4  # 720p takes 4/6/8


def test_an_unset_length_is_chosen_and_noted():
    r = build(resolution="1080p")
    assert r.seconds == 8 and "seconds 8: 1080p needs seconds=8" in r.notes
    assert r.describe()["notes"] == list(r.notes)
    assert not [n for n in build(resolution="720p").notes if "seconds" in n]


def test_references_need_eight_seconds():
    assert build(references=[PNG], seconds=8).seconds == 8
    error = refused(references=[PNG], seconds=4)
    assert error.field == "seconds" and "reference images need seconds=8" in str(error)
    assert "seconds 8: reference images need seconds=8" in build(references=[PNG]).notes


def test_a_last_frame_needs_eight_seconds_on_googles_api():
    assert build(first_frame=PNG, last_frame=JPG, seconds=8).seconds == 8
    error = refused(first_frame=PNG, last_frame=JPG, seconds=6)
    assert "a first + last frame clip needs seconds=8" in str(error)
    assert build(first_frame=PNG, seconds=6).seconds == 6  # a first frame alone: any length
    # A relay's own -fl model is not Google's API: its length is the relay's business.
    relay = VideoRequest.build("x", protocol="videos", first_frame=PNG, last_frame=JPG, seconds=6)
    assert relay.seconds == 6


def test_a_relays_4k_name_needs_eight_seconds_on_videos():
    r = VideoRequest.build("x", protocol="videos", model="veo_3_1-4K")
    assert r.resolution == "4k" and r.seconds == 8
    with pytest.raises(VeoInputError, match="4k needs seconds=8"):
        VideoRequest.build("x", protocol="videos", model="veo_3_1-4K", seconds=6)


# -- resolution ----------------------------------------------------------------------------------


def test_lite_makes_no_4k():
    assert build(model=LITE, resolution="1080p").resolution == "1080p"
    error = refused(model=LITE, resolution="4k")
    assert error.field == "resolution" and error.allowed == ("720p", "1080p")
    assert "veo-3.1 and veo-3.1-fast make 4k" in str(error)


def test_veo_2_takes_no_resolution():
    error = refused(model="veo2", resolution="720p")
    assert error.field == "resolution" and "makes one resolution" in str(error)
    assert build(model="veo2").resolution is None


def test_extensions_are_720p_and_the_choice_is_noted():
    r = build(extend=URI)
    assert (
        r.resolution == "720p"
        and "resolution 720p: Google makes extensions at 720p only" in r.notes
    )
    error = refused(extend=URI, resolution="4k")
    assert error.field == "resolution" and error.allowed == ("720p",)


@pytest.mark.parametrize(
    ("protocol", "model", "resolution", "wire"),
    [
        ("chat", "veo_3_1", "4k", "veo_3_1-4K"),
        ("chat", "veo_3_1-fast", "4k", "veo_3_1-fast-4K"),
        ("create", "veo3.1", "4k", "veo3.1-4k"),
        ("videos", "veo3.1", "4k", "veo3.1-4k"),
        ("videos", "veo-3.1", "1080p", "veo-3.1"),
        ("videos", "veo-3.1-generate-preview", "4k", "veo-3.1-generate-preview"),
        ("gemini", "veo-3.1", "4k", "veo-3.1-generate-preview"),
        ("chat", "veo-3.1", "720p", "veo-3.1"),
    ],
)
def test_resolution_goes_where_the_protocol_carries_it(protocol, model, resolution, wire):
    r = VideoRequest.build("x", protocol=protocol, model=model, resolution=resolution)
    assert (r.wire_model, r.resolution) == (wire, resolution)
    assert r.describe()["resolution"] == resolution
    parameter_only = protocol == "videos" and not r.wire_spec.four_k
    assert any("sent as a parameter" in n for n in r.notes) == parameter_only


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"protocol": "chat", "resolution": "1080p"}, "no relay sells a 1080p name"),
        ({"protocol": "create", "resolution": "1080p"}, "protocol='videos'"),
        ({"protocol": "chat", "resolution": "4k"}, "model='veo_3_1' (sends 'veo_3_1-4K')"),
        ({"protocol": "videos", "model": "veo3", "resolution": "4k"}, "is not made by"),
        ({"protocol": "videos", "model": "veo_3_1-4K", "resolution": "720p"}, "always makes 4k"),
        ({"protocol": "videos", "model": "sora-2", "resolution": "1080p"}, "one resolution"),
    ],
)
def test_no_route_is_refused_saying_which_would_work(kwargs, words):
    with pytest.raises(VeoInputError) as info:
        VideoRequest.build("x", **kwargs)
    assert info.value.field == "resolution" and words in str(info.value)


def test_resolution_routes_per_protocol():
    veo = parse_model("veo-3.1")
    assert resolution_routes(veo, "chat") == ("720p",)
    assert resolution_routes(veo, "videos") == ("720p", "1080p", "4k")
    assert resolution_routes(parse_model("veo_3_1"), "create") == ("720p", "4k")
    assert resolution_routes(parse_model(LITE), "gemini") == ("720p", "1080p")
    assert resolution_routes(parse_model("veo2"), "gemini") == ()


def test_pixel_sizes_follow_the_resolution():
    assert build(resolution="4k", landscape=True).pixel_size == (3840, 2160)
    assert build(size="2160x3840").resolution == "4k"


# -- person generation, clips per request, negative prompt, prompt length ----------------------


@pytest.mark.parametrize(
    ("images", "allowed", "refused_value"),
    [
        ({}, "allow_all", "allow_adult"),
        ({}, "allow_all", "dont_allow"),
        ({"first_frame": PNG}, "allow_adult", "allow_all"),
        ({"first_frame": PNG, "last_frame": JPG}, "allow_adult", "allow_all"),
        ({"references": [PNG]}, "allow_adult", "allow_all"),
        ({"extend": URI}, "allow_all", "allow_adult"),
    ],
)
def test_person_generation_follows_the_input(images, allowed, refused_value):
    assert build(person_generation=allowed, **images).options["person_generation"] == allowed
    error = refused(person_generation=refused_value, **images)
    assert error.field == "person_generation" and error.allowed == (allowed,)
    assert "leave it unset" in str(error)
    assert "person_generation" not in build(**images).options  # unset stays unset: Google's default


def test_person_generation_on_veo_2_from_an_image():
    assert build(model="veo2", first_frame=PNG, person_generation="dont_allow")
    assert refused(model="veo2", first_frame=PNG, person_generation="allow_all").allowed == (
        "allow_adult",
        "dont_allow",
    )
    assert build(model="veo2", person_generation="dont_allow")  # text: all three


def test_one_video_per_request_on_veo_3():
    assert build(n=1).n == 1
    error = refused(n=2)
    assert error.field == "n" and "one video per request" in str(error)
    assert build(model="veo2", n=2).n == 2
    assert refused(model="veo2", n=3).allowed == (1, 2)
    assert VideoRequest.build("x", protocol="chat", n=4).n == 4  # a relay's chat makes n tasks


@pytest.mark.parametrize("inputs", [{"references": [PNG]}, {"extend": URI}])
def test_no_negative_prompt_with_references_or_an_extension(inputs):
    error = refused(negative_prompt="fog", **inputs)
    assert error.field == "negative_prompt" and "cannot be used here" in str(error)
    assert build(negative_prompt="fog", first_frame=PNG).negative_prompt == "fog"


def test_googles_prompt_cap():
    assert len(build(prompt="x" * MAX_VEO_PROMPT_CHARS).prompt) == MAX_VEO_PROMPT_CHARS
    error = refused(prompt="x" * (MAX_VEO_PROMPT_CHARS + 1))
    assert error.field == "prompt" and "1,024 tokens" in str(error)


# -- what a model takes ------------------------------------------------------------------------------


def test_lite_takes_frames_but_no_references_and_no_extension():
    assert build(model=LITE, first_frame=PNG, last_frame=JPG).last_frame is not None
    assert refused(model=LITE, references=[PNG]).field == "references"
    error = refused(model=LITE, extend=URI)
    assert error.field == "extend" and "Lite does not" in str(error)
    assert build(model="veo-3.1-fast", extend=URI).options["extend"] == URI


def test_offers_follow_model_and_protocol():
    lite = choices_for(parse_model(LITE), "gemini")
    assert (lite.fast, lite.last_frame, lite.references) == (False, True, False)
    chat = choices_for(parse_model("veo-3.1"), "chat")
    assert (chat.last_frame, chat.references, chat.resolutions) == (True, False, ("720p",))
    fixed = choices_for(parse_model("veo-3.1-landscape"), "chat")
    assert (fixed.fast, fixed.last_frame) == (False, False)


def test_every_rule_names_its_source():
    assert all(rule.source and rule.rule and rule.instead for rule in MODEL_RULES)


# -- prices ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "resolution", "seconds", "usd"),
    [
        ("veo-3.1", "720p", 8, 3.20),
        ("veo-3.1", "1080p", 8, 3.20),
        ("veo-3.1", "4k", 8, 4.80),
        ("veo-3.1-fast", "720p", 4, 0.40),
        ("veo-3.1-fast", "1080p", 8, 0.96),
        ("veo-3.1-fast", "4k", 8, 2.40),
        (LITE, "720p", 6, 0.30),
        (LITE, "1080p", 8, 0.64),
    ],
)
def test_google_prices_are_per_second_by_resolution(model, resolution, seconds, usd):
    r = build(model=model, resolution=resolution, seconds=seconds)
    assert r.estimated_cost == pytest.approx(usd)


def test_lite_is_no_longer_priced_like_standard():
    assert parse_model(LITE).price_usd == pytest.approx(0.40)  # 8 s at $0.05
    assert parse_model(LITE).price_label == "$0.05/s 720p · $0.08/s 1080p"


def test_relays_keep_their_per_clip_prices():
    assert VideoRequest.build("x", protocol="videos", seconds=4).estimated_cost == 0.25
    r = VideoRequest.build("x", protocol="videos", model="veo-3.1", resolution="1080p")
    assert r.estimated_cost == 0.25
    assert VideoRequest.build("x", protocol="videos", model="veo_3_1-4K").estimated_cost == 0.50


def test_an_override_of_a_google_id_is_per_clip(monkeypatch):
    monkeypatch.setenv("VEO_PRICES", '{"veo-3.1-fast-generate-preview": 1.0}')
    spec = parse_model("veo-3.1-fast-generate-preview")
    assert spec.rates == () and spec.price_label == "$1.00/clip"
    assert build(fast=True, seconds=4, resolution="720p").estimated_cost == 0.5
    set_price("veo-3.1-fast-generate-preview", 2.0)
    assert build(fast=True, resolution="4k").estimated_cost == 2.0


def test_the_listing_says_which_price_is_which(monkeypatch):
    text = "\n".join(model_lines())
    assert "Relay models: USD per clip" in text and "USD per second of clip" in text
    assert "veo-3.1-fast-generate-preview" in text and "$0.10/s 720p · $0.12/s 1080p" in text
    assert "retired on the Gemini API since 2026-10-22" in text
    monkeypatch.setenv("VEO_PRICES", '{"veo-3.1-generate-preview": 2.5}')
    assert any("$2.50/clip (VEO_PRICES)" in line for line in model_lines())


# -- retirement ------------------------------------------------------------------------------------


def test_the_preview_ids_are_kept_and_marked_retired():
    for name in ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview", LITE):
        spec = parse_model(name)
        assert spec.retired is RETIRED[name] and spec.retired.date == "2026-10-22"
    assert parse_model("veo-3.1").retired is None  # a relay's name: the relay decides
    note = build().notes[-1]
    assert "retired on the Gemini API since 2026-10-22" in note


@pytest.mark.parametrize(
    ("said", "model", "words"),
    [
        (
            "This model models/veo-3.1-generate-preview is no longer available. Please update "
            "your code to use a newer model for the latest features and improvements.",
            "veo-3.1-generate-preview",
            "Google retired veo-3.1-generate-preview on the Gemini API on 2026-10-22",
        ),
        (
            "fail_to_fetch_task: upstream returned 404: models/veo-3.1-fast-generate-preview "
            "is no longer available",
            "veo-3.1-fast",
            "The model behind veo-3.1-fast is no longer served",
        ),
    ],
)
def test_a_retirement_answer_is_worded_without_a_resume(said, model, words):
    message = retired_message(said, model)
    assert message is not None and words in message and said[:40] in message
    assert "resume it" not in message and "Vertex AI" in message


def test_other_messages_are_not_a_retirement():
    assert retired_message("This slot is no longer available. Please pick another.", "x") is None
    assert retired_message("HTTP 404: File not found.", "veo-3.1-generate-preview") is None
