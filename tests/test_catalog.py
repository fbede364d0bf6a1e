"""Model names in every spelling: parsing, wire names, catalog, prices."""

from __future__ import annotations

import pytest

from veo_magic._exceptions import VeoInputError
from veo_magic.catalog.models import (
    DEFAULT_PRICES,
    FAMILIES,
    ModelSpec,
    catalog,
    compose,
    known_models,
    parse_model,
    reset_prices,
    respell,
    set_price,
)

pytestmark = pytest.mark.usefixtures("clean_prices")


# name -> family, tier, frames, components, four_k, orientation, explicit
SPELLINGS = [
    ("veo-3.1", "veo3.1", "standard", False, False, False, None, False),
    ("veo-3.1-fl", "veo3.1", "standard", True, False, False, None, False),
    ("veo-3.1-fast", "veo3.1", "fast", False, False, False, None, False),
    ("veo-3.1-fast-fl", "veo3.1", "fast", True, False, False, None, False),
    ("veo-3.1-landscape", "veo3.1", "standard", False, False, False, "landscape", True),
    ("veo-3.1-landscape-fl", "veo3.1", "standard", True, False, False, "landscape", True),
    ("veo-3.1-landscape-fast", "veo3.1", "fast", False, False, False, "landscape", True),
    ("veo-3.1-landscape-fast-fl", "veo3.1", "fast", True, False, False, "landscape", True),
    ("veo-3.1-portrait", "veo3.1", "standard", False, False, False, "portrait", True),
    ("veo_3_1", "veo3.1", "standard", False, False, False, None, False),
    ("veo_3_1-fast", "veo3.1", "fast", False, False, False, None, False),
    ("veo_3_1-portrait", "veo3.1", "standard", False, False, False, "portrait", True),
    ("veo_3_1-landscape-fast", "veo3.1", "fast", False, False, False, "landscape", True),
    ("veo_3_1-4K", "veo3.1", "standard", False, False, True, None, False),
    ("veo_3_1-fast-4K", "veo3.1", "fast", False, False, True, None, False),
    ("veo_3_1-components", "veo3.1", "standard", False, True, False, None, False),
    ("veo_3_1-fast-components-4K", "veo3.1", "fast", False, True, True, None, False),
    ("veo3.1", "veo3.1", "standard", False, False, False, None, False),
    ("veo3.1-fast", "veo3.1", "fast", False, False, False, None, False),
    ("veo3.1-pro", "veo3.1", "pro", False, False, False, None, False),
    ("veo3.1-4k", "veo3.1", "standard", False, False, True, None, False),
    ("veo3.1-pro-4k", "veo3.1", "pro", False, False, True, None, False),
    ("veo3.1-components", "veo3.1", "standard", False, True, False, None, False),
    ("veo3.1-fast-components", "veo3.1", "fast", False, True, False, None, False),
    ("veo3.1-components-4k", "veo3.1", "standard", False, True, True, None, False),
    ("veo3", "veo3", "standard", False, False, False, None, False),
    ("veo3-fast", "veo3", "fast", False, False, False, None, False),
    ("veo3-pro", "veo3", "pro", False, False, False, None, False),
    ("veo3-frames", "veo3", "standard", True, False, False, None, False),
    ("veo3-fast-frames", "veo3", "fast", True, False, False, None, False),
    ("veo3-pro-frames", "veo3", "pro", True, False, False, None, False),
    ("veo2", "veo2", "standard", False, False, False, None, False),
    ("veo2-fast", "veo2", "fast", False, False, False, None, False),
    ("veo2-pro", "veo2", "pro", False, False, False, None, False),
    ("veo2-fast-frames", "veo2", "fast", True, False, False, None, False),
    ("veo2-fast-components", "veo2", "fast", False, True, False, None, False),
    ("veo2-pro-components", "veo2", "pro", False, True, False, None, False),
    ("veo_3_1_t2v_fast_landscape", "veo3.1", "fast", False, False, False, "landscape", True),
    ("veo_3_1_i2v_s_fast_fl_portrait", "veo3.1", "fast", True, False, False, "portrait", True),
    ("veo-3.1-generate-preview", "gemini", "standard", False, False, False, None, True),
    ("veo-3.1-fast-generate-preview", "gemini", "fast", False, False, False, None, True),
    ("veo-3.1-lite-generate-preview", "gemini", "lite", False, False, False, None, True),
    ("veo-3.0-generate-001", "gemini", "standard", False, False, False, None, True),
    ("jimeng-video-3.0", "jimeng", "standard", False, False, False, None, True),
    ("sora-2", "sora", "standard", False, False, False, None, True),
    ("sora-2-pro", "sora", "pro", False, False, False, None, True),
    ("sora-2-pro-2025-10-06", "sora", "pro", False, False, False, None, True),
]


@pytest.mark.parametrize(
    ("name", "family", "tier", "frames", "components", "four_k", "orientation", "explicit"),
    SPELLINGS,
)
def test_every_spelling_parses(
    name, family, tier, frames, components, four_k, orientation, explicit
) -> None:
    spec = parse_model(name)
    got = (
        spec.name,
        spec.family,
        spec.tier,
        spec.frames,
        spec.components,
        spec.four_k,
        spec.orientation,
        spec.explicit,
    )
    assert got == (name, family, tier, frames, components, four_k, orientation, explicit)
    assert spec.fast == (tier == "fast") and spec.pro == (tier == "pro")


@pytest.mark.parametrize(
    ("name", "spelling", "style"),
    [
        ("veo-3.1-fast", "veo-3.1", "dash"),
        ("veo_3_1-fast", "veo_3_1", "underscore"),
        ("veo3.1-fast", "veo3.1", "compact"),
        ("VEO-3.1-Fast", "VEO-3.1", "dash"),
        ("veo_3_1_t2v_fast_landscape", "veo_3_1", "relay"),
        ("veo-3.1-fast-generate-preview", "", "google"),
        ("sora-2", "", "vendor"),
    ],
)
def test_spelling_and_style_are_kept(name: str, spelling: str, style: str) -> None:
    spec = parse_model(name)
    assert (spec.spelling, spec.style) == (spelling, style)


def test_version_digits_are_read_without_eating_4k() -> None:
    assert parse_model("veo3-4k").family == "veo3" and parse_model("veo3-4k").four_k
    assert parse_model("veo_3_1-4K").family == "veo3.1"
    assert parse_model("veo3.1pro").family == "veo3.1"  # no separator: tolerated, explicit


@pytest.mark.parametrize(
    ("name", "roles", "max_images"),
    [
        ("veo-3.1", ("first_frame",), 1),
        ("veo-3.1-fl", ("first_frame", "last_frame"), 2),
        ("veo3.1", ("first_frame", "last_frame"), 2),  # vectorengine: adaptive
        ("veo3.1-components", ("reference",), 3),
        ("veo3-frames", ("first_frame", "last_frame"), 2),
        ("veo3-pro-frames", ("first_frame",), 1),  # PROTOCOLS.md 1.4: max 1 image, no last frame
        ("veo2", ("first_frame",), 1),
        ("veo2-fast-frames", ("first_frame", "last_frame"), 2),
        ("veo_3_1_t2v_fast_landscape", (), 0),
        ("veo-3.1-generate-preview", ("first_frame", "last_frame", "reference"), 3),
        ("veo-3.0-generate-001", ("first_frame",), 1),
        ("sora-2", ("first_frame",), 1),
        ("jimeng-video-3.0", ("first_frame",), 1),
    ],
)
def test_image_capabilities(name: str, roles: tuple[str, ...], max_images: int) -> None:
    spec = parse_model(name)
    assert (spec.roles, spec.max_images) == (roles, max_images)


@pytest.mark.parametrize(
    ("name", "protocol", "seconds", "default"),
    [
        ("veo-3.1", "chat", (8,), 8),
        ("veo-3.1", "videos", (4, 6, 8), 8),
        ("veo-3.1", "create", (8,), 8),  # the unified create body has no length field
        ("veo-3.1-generate-preview", "gemini", (4, 6, 8), 8),
        ("veo2", "videos", (5, 6, 7, 8), 8),
        ("jimeng-video-3.0", "create", (5,), 5),
        ("sora-2", "videos", (4, 8, 12), 4),
    ],
)
def test_seconds_per_protocol(
    name: str, protocol: str, seconds: tuple[int, ...], default: int
) -> None:
    spec = parse_model(name)
    assert spec.allowed_seconds(protocol) == seconds
    assert spec.default_seconds == default


def test_audio_and_fixed_orientation() -> None:
    assert parse_model("veo-3.1").audio and not parse_model("veo2").audio
    assert parse_model("veo-3.1-landscape").orientations == ("landscape",)
    assert parse_model("veo-3.1").orientations == ("portrait", "landscape")


@pytest.mark.parametrize("name", ["veo-3.1-ultra", "veo_3_1-hd-landscape", "veo3.1-fast-beta"])
def test_unknown_suffixes_are_tolerated_conservatively(name: str) -> None:
    spec = parse_model(name)
    assert spec.family == "veo3.1"
    assert spec.explicit  # sent as given
    assert spec.roles == ("first_frame",)
    assert compose(spec, "chat", "landscape", True, False, False) == name


@pytest.mark.parametrize(
    "name", ["veo-9", "veo4-fast", "kling-v1", "veo-3.5-generate-preview", "", "   "]
)
def test_unknown_model_lists_known_families(name: str) -> None:
    with pytest.raises(VeoInputError) as info:
        parse_model(name)
    err = info.value
    assert err.field == "model"
    assert repr(name) in str(err)
    assert "known: veo-3.1, veo-3.1-fast" in str(err)
    assert "veo_3_1-landscape-fast is sent as given" in str(err)
    assert err.allowed == FAMILIES


def test_non_string_model_is_refused() -> None:
    with pytest.raises(VeoInputError, match="model=3 is not a model name") as info:
        parse_model(3)  # type: ignore[arg-type]
    assert info.value.field == "model"


# -- compose -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "protocol", "orientation", "fast", "last", "refs", "wire"),
    [
        # the brief's example, on both protocols that name orientation in the model
        ("veo-3.1", "chat", "landscape", True, True, False, "veo-3.1-landscape-fast-fl"),
        ("veo-3.1", "videos", "landscape", True, True, False, "veo-3.1-landscape-fast-fl"),
        # create: orientation travels as aspect_ratio
        ("veo-3.1", "create", "landscape", True, True, False, "veo-3.1-fast-fl"),
        # portrait is the default: no suffix
        ("veo-3.1", "chat", "portrait", False, False, False, "veo-3.1"),
        ("veo-3.1", "chat", None, False, False, False, "veo-3.1"),
        # underscore spelling is kept; on videos it sends orientation as size (seed 002)
        ("veo_3_1", "chat", "landscape", True, False, False, "veo_3_1-landscape-fast"),
        ("veo_3_1", "videos", "landscape", True, False, False, "veo_3_1-fast"),
        ("veo_3_1", "chat", None, False, True, False, "veo_3_1-fl"),
        # compact veo3.1 is adaptive: a last frame adds nothing
        ("veo3.1", "create", "landscape", False, True, False, "veo3.1"),
        ("veo3.1", "chat", "landscape", False, False, False, "veo3.1-landscape"),
        ("veo3", "videos", None, True, True, False, "veo3-fast-frames"),
        # references -> components on the task protocols
        ("veo-3.1", "videos", None, False, False, True, "veo-3.1-components"),
        ("veo_3_1", "create", None, True, False, True, "veo_3_1-fast-components"),
        ("veo3.1", "videos", None, True, False, True, "veo3.1-fast-components"),
        ("veo2-fast", "create", None, False, False, True, "veo2-fast-components"),
        ("veo-3.1", "chat", None, False, False, True, "veo-3.1"),  # chat: build() refuses
        # suffixes the user wrote keep their spelling and survive
        ("veo_3_1-fast-4K", "chat", "landscape", False, False, False, "veo_3_1-landscape-fast-4K"),
        ("VEO-3.1-Fast", "chat", "landscape", True, False, False, "VEO-3.1-landscape-Fast"),
        ("veo-3.1-fl-fast", "chat", None, True, True, False, "veo-3.1-fl-fast"),  # nothing added
        # gemini: Google ids
        ("veo-3.1", "gemini", "landscape", False, True, False, "veo-3.1-generate-preview"),
        ("veo_3_1-fast", "gemini", None, False, False, False, "veo-3.1-fast-generate-preview"),
        ("veo3", "gemini", None, True, False, False, "veo-3.0-fast-generate-001"),
        ("veo2", "gemini", None, False, False, False, "veo-2.0-generate-001"),
        # explicit names are sent exactly as given
        (
            "veo_3_1-landscape-fast",
            "create",
            "landscape",
            True,
            True,
            False,
            "veo_3_1-landscape-fast",
        ),
        (
            "veo-3.1-fast-generate-preview",
            "videos",
            None,
            True,
            False,
            False,
            "veo-3.1-fast-generate-preview",
        ),
        ("sora-2", "videos", "landscape", False, False, False, "sora-2"),
        ("jimeng-video-3.0", "create", "landscape", False, False, False, "jimeng-video-3.0"),
    ],
)
def test_compose(name, protocol, orientation, fast, last, refs, wire) -> None:
    assert compose(parse_model(name), protocol, orientation, fast, last, refs) == wire


def test_every_catalog_name_composes_to_itself() -> None:
    for spec in known_models():
        assert compose(spec, "chat") == spec.name
        assert parse_model(compose(spec, "videos")).price_key == spec.price_key


def test_hand_built_spec_is_sent_as_given() -> None:
    assert (
        compose(ModelSpec("my-relay-model"), "chat", "landscape", True, True, True)
        == "my-relay-model"
    )


@pytest.mark.parametrize(
    ("name", "change", "variant"),
    [
        ("veo-3.1-landscape", {"last_frame": True}, "veo-3.1-landscape-fl"),
        ("veo_3_1-landscape", {"fast": True}, "veo_3_1-landscape-fast"),
        ("veo3.1-pro", {"references": True}, "veo3.1-pro-components"),
        ("veo-3.1-generate-preview", {"fast": True}, "veo-3.1-fast-generate-preview"),
        ("veo-2.0-generate-001", {"fast": True}, None),
        ("sora-2", {"fast": True}, None),
        ("veo_3_1_t2v_fast_landscape", {"last_frame": True}, None),
    ],
)
def test_respell_suggests_variants(name: str, change: dict[str, bool], variant: str | None) -> None:
    assert respell(parse_model(name), **change) == variant


# -- catalog and prices --------------------------------------------------------------------------


def test_catalog_offers_every_documented_family() -> None:
    names = {spec.name for spec in catalog()}
    apiyi = {
        "veo-3.1",
        "veo-3.1-fl",
        "veo-3.1-fast",
        "veo-3.1-fast-fl",
        "veo-3.1-landscape",
        "veo-3.1-landscape-fl",
        "veo-3.1-landscape-fast",
        "veo-3.1-landscape-fast-fl",
    }
    others = {
        "veo3.1",
        "veo3.1-components",
        "veo_3_1-components",
        "veo3",
        "veo2",
        "jimeng-video-3.0",
        "veo-3.1-generate-preview",
        "veo-3.1-fast-generate-preview",
        "veo-3.0-generate-001",
        "sora-2",
    }
    assert apiyi | others <= names
    assert catalog is known_models
    assert {spec.family for spec in catalog()} == set(FAMILIES)


def test_seed_001_prices() -> None:
    for spec in known_models():
        if spec.name.startswith("veo-3.1") and spec.family == "veo3.1":
            assert spec.price_usd == (0.15 if spec.fast else 0.25), spec.name


def test_estimated_prices_rank_sensibly() -> None:
    price = {
        name: parse_model(name).price_usd
        for name in (
            "veo3.1",
            "veo3.1-fast",
            "veo3.1-pro",
            "veo3.1-4k",
            "veo3.1-pro-4k",
            "veo_3_1-fast-4K",
        )
    }
    assert price["veo3.1-fast"] < price["veo3.1"] < price["veo3.1-pro"] < price["veo3.1-pro-4k"]
    assert price["veo3.1-4k"] == 2 * price["veo3.1"]
    assert price["veo_3_1-fast-4K"] == 2 * price["veo3.1-fast"]
    assert all(v > 0 for v in DEFAULT_PRICES.values())


def test_per_second_billing_scales_with_length() -> None:
    sora = parse_model("sora-2")
    assert sora.per_second and sora.clip_price(12) == pytest.approx(3 * sora.clip_price(4))
    veo = parse_model("veo-3.1")
    assert not veo.per_second and veo.clip_price(4) == veo.clip_price(8) == 0.25


def test_set_price_applies_to_every_spelling_of_a_class() -> None:
    set_price("veo-3.1-fast", 0.12)
    assert parse_model("veo_3_1-fast").price_usd == 0.12
    assert parse_model("veo-3.1-landscape-fast-fl").price_usd == 0.12
    assert parse_model("veo3.1-fast-4k").price_usd == 0.24  # 4K: twice its tier
    assert parse_model("veo-3.1").price_usd == 0.25  # other tiers untouched


def test_set_price_by_family() -> None:
    set_price("veo2", 0.05)
    assert parse_model("veo2-pro").price_usd == 0.05
    set_price("veo2-pro", 0.30)  # a class beats its family
    assert parse_model("veo2-pro").price_usd == 0.30
    assert parse_model("veo2-fast").price_usd == 0.05


def test_env_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEO_PRICES", '{"veo-3.1-fast": 0.11, "jimeng": 0.02}')
    assert parse_model("veo_3_1-fast").price_usd == 0.11
    assert parse_model("jimeng-video-3.0").price_usd == 0.02
    set_price("veo-3.1-fast", 0.13)  # code beats the environment
    assert parse_model("veo3.1-fast").price_usd == 0.13
    reset_prices()
    assert parse_model("veo3.1-fast").price_usd == 0.11


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"veo-3.1": -1}', "-1"),
        ('{"veo-3.1": "cheap"}', "'cheap'"),
        ('{"veo-9": 0.1}', "unknown model 'veo-9'"),
    ],
)
def test_bad_env_prices_are_reported(monkeypatch: pytest.MonkeyPatch, raw: str, words: str) -> None:
    monkeypatch.setenv("VEO_PRICES", raw)
    with pytest.raises(VeoInputError) as info:
        parse_model("veo-3.1")
    assert info.value.field == "VEO_PRICES"
    assert words in str(info.value)


@pytest.mark.parametrize("usd", [-0.1, True, "0.1", float("nan")])
def test_set_price_refuses_non_prices(usd: object) -> None:
    with pytest.raises(VeoInputError) as info:
        set_price("veo-3.1", usd)  # type: ignore[arg-type]
    assert info.value.field == "usd" and repr(usd) in str(info.value)


def test_summary_reads_like_a_picker_line() -> None:
    assert parse_model("veo-3.1-landscape-fast-fl").summary == (
        "Veo 3.1 · fast · landscape · first+last frame · audio · 4/6/8 s (chat: 8 s)"
    )
    assert "1-3 references" in parse_model("veo3.1-components").summary
    assert "first+last frame or 1-3 references" in parse_model("veo-3.1-generate-preview").summary
    assert "text only" in parse_model("veo_3_1_t2v_fast_landscape").summary
