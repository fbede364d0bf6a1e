"""Guarantee 5: every bad input is explained before any request.

Each case goes through ``Client(...)`` or ``Client.submit`` and must raise ``VeoInputError``
naming the field, the value and what is allowed, while the simulator's request log stays still.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import veo_magic as veo
from tests.images import write_png
from tests.reliability.support import CORE, KEY


@dataclass(frozen=True)
class Case:
    """One bad input: ``options`` go to ``submit`` (or to ``Client`` when ``construct``)."""

    name: str
    field: str
    value: str  # how the message shows the value
    allowed: str  # how the message says what is allowed
    options: dict[str, Any] = field(default_factory=dict)
    prompt: Any = "a fox in the snow"
    protocol: str = "videos"
    construct: bool = False
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("empty prompt", "prompt", "prompt='' is empty", "1 to 32000 characters", prompt=""),
    Case("blank prompt", "prompt", "prompt='   ' is empty", "1 to 32000 characters", prompt="   "),
    Case(
        "oversized prompt",
        "prompt",
        "is 32001 characters long",
        "allowed: text of 1 to 32000 characters",
        prompt="x" * 32001,
    ),
    Case(
        "prompt not text",
        "prompt",
        "prompt=42 is int, not text",
        "1 to 32000 characters",
        prompt=42,
    ),
    Case("unknown model", "model", "'veo-9'", "known: veo-3.1", {"model": "veo-9"}),
    Case(
        "orientation",
        "orientation",
        "'sideways'",
        "portrait, landscape",
        {"orientation": "sideways"},
    ),
    Case("seconds (videos)", "seconds", "seconds=5", "allowed: 4, 6, 8", {"seconds": 5}),
    Case("seconds (chat)", "seconds", "seconds=4", "allowed: 8", {"seconds": 4}, protocol="chat"),
    Case(
        "size not a size", "size", "'banana'", "(1280x720), a W:H ratio (16:9)", {"size": "banana"}
    ),
    Case(
        "size not a shape the model makes",
        "size",
        "'1000x1000'",
        "allowed: 9:16, 16:9",
        {"size": "1000x1000"},
    ),
    Case("n too many (chat)", "n", "n=5", "allowed: 1 to 4", {"n": 5}, protocol="chat"),
    Case("n on a one-clip protocol", "n", "n=2", "protocol='chat' (up to 4 clips", {"n": 2}),
    Case(
        "frame file missing",
        "first_frame",
        "nope.png'",
        "check the path or give an http(s) URL",
        {"first_frame": "{dir}/nope.png"},
    ),
    Case(
        "frame not an image",
        "first_frame",
        "notes.txt'",
        "allowed: PNG, JPEG, WebP",
        {"first_frame": "{dir}/notes.txt"},
    ),
    Case(
        "frame too large",
        "first_frame",
        "big.png' is 3.0 MiB",
        "the limit is 976.6 KiB",
        {"first_frame": "{dir}/big.png"},
        env={"VEO_MAX_IMAGE_BYTES": "1000000"},
    ),
    Case(
        "too many images",
        "references",
        "references has 4 images",
        "allowed: 1 to 3",
        {"references": ["{dir}/a.png"] * 4},
    ),
    Case(
        "last frame without first",
        "last_frame",
        "a.png' needs a first_frame",
        "allowed: first_frame alone or first_frame + last_frame",
        {"last_frame": "{dir}/a.png"},
    ),
    Case(
        "references mixed with frames",
        "references",
        "b.png'] cannot be combined with first_frame",
        "allowed: first_frame [+ last_frame], or 1-3 references",
        {"first_frame": "{dir}/a.png", "references": ["{dir}/b.png"]},
    ),
    Case(
        "references on a frames-only model",
        "references",
        "model 'veo-3.1' takes only a first",
        "use protocol='videos' or 'create'",
        {"references": ["{dir}/a.png"]},
        protocol="chat",
    ),
    Case(
        "frame URL ftp://",
        "first_frame",
        "'ftp://example.com/a.png'",
        "allowed: http, https, data",
        {"first_frame": "ftp://example.com/a.png"},
    ),
    Case(
        "frame URL file://",
        "first_frame",
        "'file:///etc/passwd'",
        "allowed: http, https, data",
        {"first_frame": "file:///etc/passwd"},
    ),
    Case(
        "unknown protocol (submit)",
        "protocol",
        "'grpc'",
        "allowed: chat, videos, create",
        {"protocol": "grpc"},
    ),
    Case(
        "unknown protocol (client)",
        "protocol",
        "'grpc'",
        "allowed: chat, videos, create",
        {"protocol": "grpc"},
        construct=True,
    ),
    Case(
        "base URL without scheme",
        "base_url",
        "'relay.example.com'",
        "allowed: http(s)://host[:port][/v1]",
        {"base_url": "relay.example.com"},
        construct=True,
    ),
    Case(
        "base URL not http(s)",
        "base_url",
        "'ftp://relay.example.com/v1'",
        "allowed: http(s)://host[:port][/v1]",
        {"base_url": "ftp://relay.example.com/v1"},
        construct=True,
    ),
    Case(
        "base URL with a space",
        "base_url",
        "'http://exa mple.com/v1'",
        "allowed: http(s)://host[:port][/v1]",
        {"base_url": "http://exa mple.com/v1"},
        construct=True,
    ),
    Case(
        "base URL carrying the key",
        "base_url",
        "'https://relay.example.com/v1' carries credentials",
        "allowed: http(s)://host[:port][/v1]",
        {"base_url": f"https://user:{KEY}@relay.example.com/v1?key={KEY}"},
        construct=True,
    ),
    Case(
        "base URL with no key",
        "api_key",
        "api_key (VEO_API_KEY) is not set, but base URL https://relay.example.com is",
        "allowed: the relay's key",
        {"base_url": "https://relay.example.com/v1", "api_key": None},
        construct=True,
    ),
    Case(
        "key with no base URL",
        "base_url",
        "base_url (VEO_BASE_URL) is not set, but an API key is",
        "e.g. https://api.example.com/v1",
        {"base_url": None},
        construct=True,
    ),
    Case(
        "key with a line break",
        "api_key",
        "api_key has characters a relay cannot take",
        "the key exactly as the relay's dashboard shows it",
        {"api_key": KEY + "\n" + KEY},
        construct=True,
    ),
    Case(
        "budget negative",
        "budget_usd",
        "budget_usd=-1",
        "0 or more",
        {"budget_usd": -1},
        construct=True,
    ),
    Case(
        "budget in the environment not a number",
        "budget_usd",
        "VEO_BUDGET_USD='lots'",
        "0 or more",
        construct=True,
        env={"VEO_BUDGET_USD": "lots"},
    ),
    Case(
        "budget passed",
        "budget_usd",
        "$0.00 spent so far + $",
        "budget $0.00 would be passed",
        {"budget_usd": 0},
        construct=False,
    ),
    Case(
        "unknown option",
        "duration",
        "duration=8 is not an option",
        "did you mean seconds?",
        {"duration": 8},
    ),
    Case("seed out of range", "seed", "seed=-1", "allowed: 0 to 4294967295", {"seed": -1}),
    Case(
        "fast on a model without one",
        "fast",
        "model 'veo3.1-pro' has no fast variant",
        "pick a -fast model",
        {"model": "veo3.1-pro", "fast": True},
    ),
]


@pytest.fixture
def images(tmp_path: Path) -> Path:
    write_png(tmp_path / "a.png")
    write_png(tmp_path / "b.png", color=(0, 0, 255))
    (tmp_path / "notes.txt").write_text("hello, not an image")
    (tmp_path / "big.png").write_bytes((tmp_path / "a.png").read_bytes() + bytes(3 * 1024**2))
    return tmp_path


def _fill(value: Any, folder: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{dir}", str(folder))
    if isinstance(value, list):
        return [_fill(v, folder) for v in value]
    return value


def test_there_are_at_least_25_cases():
    assert len(CASES) >= 25 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_explained_before_any_request(case, relay, images, out_dir, monkeypatch):
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    options = {k: _fill(v, images) for k, v in case.options.items()}
    seen, creates = len(relay.requests), relay.accepted_creates
    client_options: dict[str, Any] = {
        "base_url": relay.base_url + "/v1",
        "api_key": KEY,
        "protocol": case.protocol,
        "output_dir": out_dir,
    }
    with pytest.raises(veo.VeoInputError) as info:
        if case.construct:
            veo.Client(**{**client_options, **options})
        else:
            budget = options.pop("budget_usd", None)
            client = veo.Client(**client_options, budget_usd=budget)
            try:
                client.submit(case.prompt, **options)
            finally:
                client.close()
    error = info.value
    message = str(error)
    assert isinstance(error, ValueError)
    assert error.field == case.field, message
    assert case.value in message, message
    assert case.allowed in message, message
    assert KEY not in message and CORE not in message
    assert len(relay.requests) == seen and relay.accepted_creates == creates
