"""VideoRequest.build: every keyword validated before any money is spent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.images import jpeg_bytes, png_bytes, write_png
from veo_magic._exceptions import VeoInputError
from veo_magic.catalog.models import set_price
from veo_magic.requests.request import OPTIONS, VideoRequest, parse_size

PNG = png_bytes()
JPG = jpeg_bytes()
URL = "https://example.com/start.png"


pytestmark = pytest.mark.usefixtures("clean_prices")


def build(**kwargs: Any) -> VideoRequest:
    return VideoRequest.build(kwargs.pop("prompt", "a red fox running through snow"), **kwargs)


# -- what a good request becomes -----------------------------------------------------------------


def test_defaults() -> None:
    r = build()
    assert (r.protocol, r.spec.name, r.wire_model, r.orientation, r.fast) == (
        "chat",
        "veo-3.1",
        "veo-3.1",
        None,
        False,
    )
    assert (r.seconds, r.n, r.images, r.estimated_cost, r.pixel_size) == (
        8,
        1,
        (),
        0.25,
        (720, 1280),
    )


def test_the_brief_example_on_chat() -> None:
    r = build(model="veo-3.1", orientation="landscape", fast=True, first_frame=PNG, last_frame=JPG)
    assert r.wire_model == "veo-3.1-landscape-fast-fl"
    assert r.estimated_cost == 0.15 and r.pixel_size == (1280, 720)
    assert [i.role for i in r.images] == ["first_frame", "last_frame"]


@pytest.mark.parametrize(
    ("kwargs", "wire", "orientation"),
    [
        ({"landscape": True}, "veo-3.1-landscape", "landscape"),
        ({"portrait": True}, "veo-3.1", "portrait"),
        ({"landscape": True, "orientation": "landscape"}, "veo-3.1-landscape", "landscape"),
        ({"orientation": " Landscape "}, "veo-3.1-landscape", "landscape"),
        ({"size": "1280x720"}, "veo-3.1-landscape", "landscape"),  # size implies the orientation
        ({"size": "16:9"}, "veo-3.1-landscape", "landscape"),
        ({"size": "9x16"}, "veo-3.1", "portrait"),
        ({"model": "veo-3.1-landscape"}, "veo-3.1-landscape", "landscape"),  # fixed by the name
        (
            {"model": "veo_3_1-landscape-fast", "protocol": "create"},
            "veo_3_1-landscape-fast",
            "landscape",
        ),
        ({"orientation": "landscape", "protocol": "create"}, "veo-3.1", "landscape"),
        (
            {"orientation": "landscape", "protocol": "videos", "model": "veo_3_1"},
            "veo_3_1",
            "landscape",
        ),
    ],
)
def test_orientation_sources(kwargs: dict[str, Any], wire: str, orientation: str) -> None:
    r = build(**kwargs)
    assert (r.wire_model, r.orientation) == (wire, orientation)


def test_explicit_names_are_sent_as_given() -> None:
    for model in ("veo_3_1-landscape-fast", "veo_3_1_i2v_s_fast_fl_portrait", "sora-2-pro"):
        assert build(model=model, protocol="videos").wire_model == model


def test_fast_name_makes_the_request_fast() -> None:
    r = build(model="veo_3_1-fast")
    assert r.fast and r.wire_model == "veo_3_1-fast" and r.estimated_cost == 0.15


def test_references_become_a_components_model_on_task_protocols() -> None:
    r = build(protocol="videos", references=[PNG, JPG])
    assert r.wire_model == "veo-3.1-components"
    assert [i.role for i in r.images] == ["reference", "reference"]
    one = build(
        protocol="create", model="veo3.1", fast=True, references=PNG
    )  # one image, not a list
    assert one.wire_model == "veo3.1-fast-components" and len(one.references) == 1


def test_a_components_name_takes_references_on_chat() -> None:
    assert build(model="veo_3_1-components", references=[PNG]).wire_model == "veo_3_1-components"


@pytest.mark.parametrize(("value", "seconds"), [(None, 6), ("6", 6), (" 4s ", 4), (8.0, 8), (4, 4)])
def test_seconds_accept_numbers_and_numeric_text(value: object, seconds: int) -> None:
    r = (
        build(protocol="videos", seconds=value)
        if value is not None
        else build(protocol="videos", seconds=6)
    )
    assert r.seconds == seconds


def test_seconds_default_per_model() -> None:
    assert build(model="jimeng-video-3.0", protocol="create").seconds == 5
    assert build(model="sora-2", protocol="videos").seconds == 4
    assert build(model="veo2", protocol="videos").seconds == 8


def test_cost_is_price_times_n_and_follows_overrides() -> None:
    assert build(n=4).estimated_cost == 1.0
    assert build(n=3, fast=True).estimated_cost == 0.45
    set_price("veo-3.1-fast", 0.10)
    assert build(n=2, fast=True).estimated_cost == 0.2
    sora = build(model="sora-2", protocol="videos", seconds=12)
    assert sora.estimated_cost == pytest.approx(1.2)  # billed per second


@pytest.mark.parametrize(
    ("kwargs", "pixels"),
    [
        ({}, (720, 1280)),
        ({"orientation": "landscape"}, (1280, 720)),
        ({"size": "1080x1920"}, (1080, 1920)),
        ({"size": "16:9"}, (1280, 720)),
        ({"model": "veo_3_1-4K"}, (2160, 3840)),
        ({"model": "veo3.1-4k", "orientation": "landscape"}, (3840, 2160)),
        ({"protocol": "gemini", "resolution": "1080p", "landscape": True}, (1920, 1080)),
        ({"model": "jimeng-video-3.0", "protocol": "create", "size": "1:1"}, (720, 720)),
        ({"model": "sora-2-pro", "protocol": "videos", "size": "1792x1024"}, (1792, 1024)),
    ],
)
def test_pixel_size(kwargs: dict[str, Any], pixels: tuple[int, int]) -> None:
    assert build(**kwargs).pixel_size == pixels


def test_gemini_protocol_maps_aliases_to_google_ids() -> None:
    r = build(
        protocol="gemini",
        fast=True,
        references=[PNG],
        person_generation="ALLOW_ADULT",
        resolution="720P",
    )
    assert r.wire_model == "veo-3.1-fast-generate-preview"
    assert r.options == {"resolution": "720p", "person_generation": "allow_adult"}
    assert (
        build(protocol="gemini", model="veo-3.0-generate-001").wire_model == "veo-3.0-generate-001"
    )


def test_describe_is_json_safe(tmp_path: Path) -> None:
    path = write_png(tmp_path / "start.png")
    r = build(
        model="veo-3.1",
        orientation="landscape",
        first_frame=path,
        last_frame=URL,
        n=1,
        seed=7,
        negative_prompt=" blur ",
        protocol="videos",
        seconds="6",
    )
    record = json.loads(json.dumps(r.describe()))
    assert record == {
        "prompt": "a red fox running through snow",
        "protocol": "videos",
        "model": "veo-3.1",
        "wire_model": "veo-3.1-landscape-fl",
        "orientation": "landscape",
        "fast": False,
        "seconds": 6,
        "size": None,
        "pixel_size": "1280x720",
        "n": 1,
        "negative_prompt": "blur",
        "seed": 7,
        "options": {},
        "estimated_cost": 0.25,
        "images": [
            {
                "role": "first_frame",
                "source": str(path),
                "mime": "image/png",
                "bytes": path.stat().st_size,
                "sha256": record["images"][0]["sha256"],
            },
            {"role": "last_frame", "source": URL, "mime": None, "bytes": None, "sha256": None},
        ],
    }


@pytest.mark.parametrize("protocol", ["videos", "create"])
def test_several_clips_need_the_chat_protocol(protocol: str) -> None:
    with pytest.raises(VeoInputError) as info:
        build(n=2, protocol=protocol)
    assert info.value.field == "n" and "chat" in str(info.value) and "n=2" in str(info.value)


def test_prompt_is_stripped_and_may_be_long() -> None:
    assert build(prompt="  a fox \n").prompt == "a fox"
    assert len(build(prompt="x" * 32000).prompt) == 32000


def test_none_means_default_for_cli_callers() -> None:
    r = VideoRequest.build(
        "a fox",
        protocol=None,
        model=None,
        fast=None,
        n=None,  # type: ignore[arg-type]
        references=None,
    )
    assert (r.protocol, r.wire_model, r.fast, r.n, r.references) == (
        "chat",
        "veo-3.1",
        False,
        1,
        (),
    )


def test_parse_size_forms() -> None:
    assert (
        parse_size("1280x720").pixels,
        parse_size("16x9").pixels,
        parse_size("16:9").pixels,
    ) == (True, False, False)
    assert (
        parse_size("1920×1080").ratio == "16:9" and parse_size("720X1280").orientation == "portrait"
    )
    assert parse_size("1:1").orientation is None


# -- bad inputs: (keywords, field, offending value as shown, allowed values as shown) ------------

BAD: list[tuple[str, dict[str, Any], str, str, tuple[str, ...]]] = [
    ("empty prompt", {"prompt": ""}, "prompt", "''", ("32000",)),
    ("blank prompt", {"prompt": "  \n"}, "prompt", "'  \\n'", ("32000",)),
    ("long prompt", {"prompt": "x" * 32001}, "prompt", "32001", ("32000",)),
    ("prompt not text", {"prompt": 42}, "prompt", "42", ("32000",)),
    ("protocol", {"protocol": "grpc"}, "protocol", "'grpc'", ("chat, videos, create, gemini",)),
    ("model", {"model": "veo-9"}, "model", "'veo-9'", ("veo-3.1", "veo_3_1", "sora-2")),
    (
        "orientation word",
        {"orientation": "sideways"},
        "orientation",
        "'sideways'",
        ("portrait, landscape",),
    ),
    (
        "orientation ratio",
        {"orientation": "16:9"},
        "orientation",
        "'16:9'",
        ("portrait, landscape", "size='16:9'"),
    ),
    (
        "fixed orientation",
        {"model": "veo-3.1-landscape", "orientation": "portrait"},
        "orientation",
        "'portrait'",
        ("allowed: landscape", "'veo-3.1' with orientation='portrait'"),
    ),
    (
        "fixed by size",
        {"model": "veo_3_1-landscape", "size": "720x1280"},
        "size",
        "'720x1280'",
        ("allowed: landscape",),
    ),
    (
        "two orientations",
        {"landscape": True, "orientation": "portrait"},
        "landscape",
        "'portrait'",
        ("portrait, landscape",),
    ),
    ("landscape not bool", {"landscape": "yes"}, "landscape", "'yes'", ("allowed: True, False",)),
    ("fast not bool", {"fast": "yes"}, "fast", "'yes'", ("allowed: True, False",)),
    (
        "seconds on chat",
        {"seconds": 4},
        "seconds",
        "seconds=4",
        ("allowed: 8", "protocol='videos'"),
    ),
    (
        "seconds on videos",
        {"seconds": 5, "protocol": "videos"},
        "seconds",
        "seconds=5",
        ("allowed: 4, 6, 8",),
    ),
    (
        "seconds bool",
        {"seconds": True, "protocol": "videos"},
        "seconds",
        "seconds=True",
        ("4, 6, 8",),
    ),
    (
        "seconds words",
        {"seconds": "eight", "protocol": "videos"},
        "seconds",
        "'eight'",
        ("4, 6, 8",),
    ),
    ("seconds fraction", {"seconds": 7.5, "protocol": "gemini"}, "seconds", "7.5", ("4, 6, 8",)),
    (
        "veo2 seconds",
        {"model": "veo2", "seconds": 4, "protocol": "videos"},
        "seconds",
        "seconds=4",
        ("5, 6, 7, 8",),
    ),
    (
        "jimeng seconds",
        {"model": "jimeng-video-3.0", "seconds": 8, "protocol": "create"},
        "seconds",
        "seconds=8",
        ("allowed: 5",),
    ),
    (
        "sora seconds",
        {"model": "sora-2", "seconds": "10", "protocol": "videos"},
        "seconds",
        "'10'",
        ("4, 8, 12",),
    ),
    ("size words", {"size": "big"}, "size", "'big'", ("1280x720", "16:9")),
    (
        "size vs orientation",
        {"size": "1280x720", "orientation": "portrait"},
        "size",
        "'1280x720'",
        ("720x1280", "9:16"),
    ),
    ("size shape", {"size": "4:3"}, "size", "'4:3'", ("9:16, 16:9",)),
    ("square for veo", {"size": "1024x1024"}, "size", "'1024x1024'", ("9:16, 16:9",)),
    ("size ambiguous", {"size": "100x50"}, "size", "'100x50'", ("16x9", "1280x720")),
    ("size zero", {"size": "0x720"}, "size", "'0x720'", ("1280x720",)),
    ("size not text", {"size": 1280}, "size", "1280", ("1280x720",)),
    ("n zero", {"n": 0}, "n", "n=0", ("1 to 4",)),
    ("n five", {"n": 5}, "n", "n=5", ("1 to 4",)),
    ("n text", {"n": "2"}, "n", "'2'", ("1 to 4", "give the number 2")),
    ("n bool", {"n": True}, "n", "n=True", ("1 to 4",)),
    ("seed negative", {"seed": -1}, "seed", "seed=-1", ("0 to 4294967295",)),
    ("seed too big", {"seed": 2**32}, "seed", "4294967296", ("0 to 4294967295",)),
    ("seed text", {"seed": "7"}, "seed", "'7'", ("0 to 4294967295",)),
    ("seed bool", {"seed": False}, "seed", "seed=False", ("0 to 4294967295",)),
    (
        "negative not text",
        {"negative_prompt": ["blur"]},
        "negative_prompt",
        "['blur']",
        ("not text",),
    ),
    (
        "resolution value",
        {"resolution": "8k", "protocol": "gemini"},
        "resolution",
        "'8k'",
        ("720p, 1080p, 4k",),
    ),
    (
        "resolution protocol",
        {"resolution": "1080p"},
        "resolution",
        "'1080p'",
        ("is a gemini-protocol option",),
    ),
    (
        "person generation",
        {"person_generation": "everyone"},
        "person_generation",
        "'everyone'",
        ("allow_all, allow_adult, dont_allow",),
    ),
    ("last without first", {"last_frame": PNG}, "last_frame", "'bytes'", ("first_frame",)),
    (
        "refs with frames",
        {"first_frame": PNG, "references": [JPG], "protocol": "videos"},
        "references",
        "bytes",
        ("first_frame [+ last_frame], or 1-3 references",),
    ),
    (
        "four refs",
        {"references": [PNG] * 4, "protocol": "videos"},
        "references",
        "has 4 images",
        ("1 to 3",),
    ),
    (
        "refs on chat",
        {"references": [PNG]},
        "references",
        "'veo-3.1'",
        ("protocol='videos'", "'create'", "'veo-3.1-components'"),
    ),
    (
        "refs on veo3",
        {"model": "veo3", "references": [PNG], "protocol": "videos"},
        "references",
        "'veo3'",
        ("veo3.1-components",),
    ),
    (
        "refs on explicit",
        {"model": "veo-3.1-landscape", "references": [PNG], "protocol": "create"},
        "references",
        "'veo-3.1-landscape'",
        ("veo-3.1-components",),
    ),
    (
        "last on explicit",
        {"model": "veo-3.1-landscape", "first_frame": PNG, "last_frame": JPG},
        "last_frame",
        "'veo-3.1-landscape'",
        ("model='veo-3.1-landscape-fl'",),
    ),
    (
        "last on veo2",
        {"model": "veo2", "first_frame": PNG, "last_frame": JPG, "protocol": "videos"},
        "last_frame",
        "'veo2-frames'",
        ("veo2-fast-frames",),
    ),
    (
        "last on pro-frames",
        {"model": "veo3-pro-frames", "first_frame": PNG, "last_frame": JPG},
        "last_frame",
        "'veo3-pro-frames'",
        ("veo3-frames",),
    ),
    (
        "first on components",
        {"model": "veo3.1-components", "first_frame": PNG},
        "first_frame",
        "'bytes'",
        ("references=",),
    ),
    (
        "first on t2v",
        {"model": "veo_3_1_t2v_fast_landscape", "first_frame": PNG},
        "first_frame",
        "'veo_3_1_t2v_fast_landscape'",
        ("image-to-video",),
    ),
    (
        "fast on explicit",
        {"model": "veo_3_1-landscape", "fast": True},
        "fast",
        "fast=True",
        ("model='veo_3_1-landscape-fast'",),
    ),
    ("fast on pro", {"model": "veo3.1-pro", "fast": True}, "fast", "'veo3.1-pro'", ("-fast",)),
    (
        "fast on gemini id",
        {"model": "veo-3.1-generate-preview", "fast": True, "protocol": "gemini"},
        "fast",
        "fast=True",
        ("'veo-3.1-fast-generate-preview'",),
    ),
    (
        "fast veo2 on gemini",
        {"model": "veo2-fast", "protocol": "gemini"},
        "model",
        "'veo2-fast'",
        ("'veo2'",),
    ),
    (
        "relay name on gemini",
        {"model": "veo_3_1-landscape", "protocol": "gemini"},
        "model",
        "'veo_3_1-landscape'",
        ("veo-3.1-generate-preview",),
    ),
    (
        "4k on gemini",
        {"model": "veo3.1-4k", "protocol": "gemini"},
        "model",
        "'veo3.1-4k'",
        ("resolution=",),
    ),
    (
        "url on gemini",
        {"first_frame": URL, "protocol": "gemini"},
        "first_frame",
        repr(URL),
        ("local path", "data URL"),
    ),
    (
        "not an image",
        {"first_frame": b"hello"},
        "first_frame",
        "'bytes'",
        ("allowed: PNG, JPEG, WebP",),
    ),
    (
        "bad reference",
        {"references": [PNG, b"hello"], "protocol": "videos"},
        "references[1]",
        "'bytes'",
        ("allowed: PNG, JPEG, WebP",),
    ),
    (
        "ftp frame",
        {"first_frame": "ftp://x.org/a.png"},
        "first_frame",
        "'ftp://x.org/a.png'",
        ("http, https, data",),
    ),
    (
        "references not a list",
        {"references": 5, "protocol": "videos"},
        "references",
        "5",
        ("up to 3",),
    ),
    (
        "unknown keyword",
        {"duration": 8},
        "duration",
        "duration=8 is not an option",
        ("did you mean seconds?", "allowed: prompt, protocol, model"),
    ),
    (
        "misspelt keyword",
        {"negativ_prompt": "x"},
        "negativ_prompt",
        "negativ_prompt='x' is not an option",
        ("did you mean negative_prompt?",),
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "field", "value", "allowed"), [row[1:] for row in BAD], ids=[row[0] for row in BAD]
)
def test_bad_input_is_refused_with_a_helpful_message(
    kwargs: dict[str, Any], field: str, value: str, allowed: tuple[str, ...]
) -> None:
    with pytest.raises(VeoInputError) as info:
        build(**dict(kwargs))
    err, message = info.value, str(info.value)
    assert err.field == field, message
    assert value in message, message
    for words in allowed:
        assert words in message, message
    assert isinstance(err, ValueError)  # the contract: VeoInputError is also a ValueError


def test_the_table_is_big_enough() -> None:
    assert len(BAD) >= 30 and len({row[0] for row in BAD}) == len(BAD)


def test_unknown_keyword_lists_every_valid_option() -> None:
    with pytest.raises(VeoInputError) as info:
        build(aspect_ratio="16:9", colour="red")
    assert info.value.field == "aspect_ratio" and info.value.allowed == OPTIONS
    assert "aspect_ratio='16:9' is not an option (nor is 'colour')" in str(info.value)
    assert "did you mean size?" in str(info.value)


def test_missing_image_file_is_refused_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(VeoInputError) as info:
        build(first_frame="start.png")
    assert info.value.field == "first_frame"
    assert str(tmp_path / "start.png") in str(info.value)


def test_hand_built_request_still_works() -> None:
    from veo_magic.catalog.models import ModelSpec, parse_model

    r = VideoRequest(
        prompt="x", protocol="create", spec=parse_model("veo3.1"), orientation="landscape"
    )
    assert (r.wire_model, r.pixel_size, r.estimated_cost) == ("veo3.1", (1280, 720), 0.25)
    odd = VideoRequest(
        prompt="x", protocol="chat", spec=ModelSpec("house-model", price_usd=0.5), n=2
    )
    assert (odd.wire_model, odd.estimated_cost) == ("house-model", 1.0)
