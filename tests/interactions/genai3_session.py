"""google-genai 3.x's own Interactions client against one base URL: run with .deps/genai3's
python (``python genai3_session.py BASE OUT_DIR``), it prints one JSON report on stdout.

Every step is the SDK's public call; nothing here parses the wire. The test that runs it
(``test_peer_genai3.py``) checks the report and the clips it wrote.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

from google import genai
from google.genai import types

KEY = "sim-google-key-3f9a1c"
FORMAT = {"type": "video", "aspect_ratio": "9:16", "duration": "4s", "resolution": "360p"}


def client(base: str, *, retries: bool = True) -> genai.Client:
    options = types.HttpOptions(base_url=base, api_version="v1beta")
    if not retries:  # one attempt: a 429 must be seen once, as it came
        options.retry_options = types.HttpRetryOptions(attempts=1)
    return genai.Client(api_key=KEY, http_options=options)


def until_done(sdk: genai.Client, interaction_id: str):
    deadline = time.monotonic() + 60
    while True:
        got = sdk.interactions.get(interaction_id)
        if got.status != "in_progress" or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def save(video, path: Path) -> str | None:
    if video is None or not video.data:
        return None
    data = video.data if isinstance(video.data, bytes) else base64.b64decode(video.data)
    path.write_bytes(data)
    return str(path)


def main(base: str, out: Path) -> dict:
    sdk = client(base)
    report: dict = {}

    started = sdk.interactions.create(
        model="gemini-omni-1.2-flash",
        input="a red kite over a beach",
        background=True,
        response_format=FORMAT,
        generation_config={"seed": 7},
    )
    report["started"] = {"id": started.id, "status": started.status, "model": started.model}
    done = until_done(sdk, started.id)
    video = done.output_video
    report["done"] = {
        "status": done.status,
        "mime_type": video.mime_type if video else None,
        "clip": save(video, out / "first.mp4"),
    }

    events = list(sdk.interactions.get(started.id, stream=True))
    report["stream"] = [[e.event_type, e.event_id] for e in events]
    resumed = list(sdk.interactions.get(started.id, stream=True, last_event_id="3"))
    report["resumed"] = [e.event_id for e in resumed]
    delta = next(e for e in events if e.event_type == "step.delta").delta
    report["stream_clip"] = save(delta, out / "streamed.mp4")

    created = list(
        sdk.interactions.create(
            model="gemini-omni-1.1-flash", input="a paper boat", stream=True, response_format=FORMAT
        )
    )
    report["create_stream"] = [e.event_type for e in created]

    second = sdk.interactions.create(
        model="gemini-omni-1.2-flash",
        input="make the kite blue",
        previous_interaction_id=started.id,
        background=True,
        generation_config={"video_config": {"task": "edit"}},
    )
    second_done = until_done(sdk, second.id)
    report["second"] = {
        "previous": second_done.previous_interaction_id,
        "status": second_done.status,
        "clip": save(second_done.output_video, out / "second.mp4"),
    }

    # Issue 19: an extension by the previous turn, and a stateless edit with the clip as a part.
    extended = until_done(
        sdk,
        sdk.interactions.create(
            model="gemini-omni-1.2-flash",
            input="the kite climbs higher",
            previous_interaction_id=started.id,
            background=True,
            response_format={**FORMAT, "duration": "3s"},
            generation_config={"video_config": {"task": "extend"}},
        ).id,
    )
    report["extended"] = {
        "status": extended.status,
        "clip": save(extended.output_video, out / "extended.mp4"),
    }
    clip = base64.b64encode((out / "first.mp4").read_bytes()).decode()
    stateless = until_done(
        sdk,
        sdk.interactions.create(
            model="gemini-omni-1.2-flash",
            input=[
                {"type": "text", "text": "make it night"},
                {"type": "video", "mime_type": "video/mp4", "data": clip},
            ],
            background=True,
            response_format=FORMAT,
            generation_config={"video_config": {"task": "edit"}},
        ).id,
    )
    report["stateless"] = {
        "status": stateless.status,
        "previous": stateless.previous_interaction_id,
        "clip": save(stateless.output_video, out / "stateless.mp4"),
    }

    uri = until_done(
        sdk,
        sdk.interactions.create(
            model="gemini-omni-1.2-flash",
            input="a lighthouse",
            background=True,
            response_format={**FORMAT, "delivery": "uri"},
        ).id,
    )
    report["uri"] = {
        "status": uri.status,
        "uri": uri.output_video.uri if uri.output_video else None,
    }

    filtered = until_done(
        sdk,
        sdk.interactions.create(
            model="gemini-omni-1.2-flash", input="a kite [[sim:filtered]]", background=True
        ).id,
    )
    report["filtered"] = {
        "status": filtered.status,
        "video": filtered.output_video is not None,
        "text": filtered.output_text,
    }

    failed = until_done(
        sdk,
        sdk.interactions.create(
            model="gemini-omni-1.2-flash", input="a kite [[sim:failed]]", background=True
        ).id,
    )
    report["failed"] = {
        "status": failed.status,
        "errors": [[e.code, e.message] for e in failed.errors or []],
    }

    errors = {}
    for name, kwargs, sdk_used in [
        ("too_long", {"model": "gemini-omni-1.1-flash", "response_format": {**FORMAT, "duration": "12s"}}, sdk),
        ("unknown_model", {"model": "gemini-omni-9-flash"}, sdk),
        ("quota", {"model": "gemini-omni-1.2-flash", "input": "a kite [[sim:quota]]"}, client(base, retries=False)),
    ]:  # fmt: skip
        kwargs.setdefault("input", "a kite")
        try:
            sdk_used.interactions.create(background=True, **kwargs)
            errors[name] = None
        except Exception as exc:  # the SDK's own error types; the report names them
            errors[name] = {
                "type": type(exc).__name__,
                "status_code": getattr(exc, "status_code", None) or getattr(exc, "code", None),
                "text": str(exc)[:500],
            }
    report["errors"] = errors

    cancelled = sdk.interactions.create(
        model="gemini-omni-1.2-flash", input="a kite [[sim:slow]]", background=True
    )
    report["cancel"] = sdk.interactions.cancel(cancelled.id).status
    sdk.interactions.delete(cancelled.id)
    try:
        sdk.interactions.get(cancelled.id)
        report["after_delete"] = None
    except Exception as exc:
        report["after_delete"] = getattr(exc, "status_code", None)
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
