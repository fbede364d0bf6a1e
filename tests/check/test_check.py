"""``check`` on every route this branch speaks, against the simulator over loopback: a route
that can make a video, a key that is refused, a route that sells no video, a model it does not
list, a wrong base URL and nothing answering (Vertex, with google-auth's own sign-in: tests/vertex). Every test also reads
the simulator's log: a check sends GETs only (nothing that costs), and never the key in a URL.
"""

from __future__ import annotations

import json

import pytest

import veo_magic as veo
from tests.support import free_port
from veo_magic.checks import check_route
from veo_magic.cli import main
from veo_magic.relays.probes import PROBES, Target

KEY = "sk-check-7Hq2Zp9Lw4"
RELAYS = ("chat", "videos", "create")
KEYED = (*RELAYS, "gemini", "interactions")  # the routes that take a key (vertex: tests/vertex)
GOOGLE = ("gemini", "interactions")
LIST_PATHS = {**dict.fromkeys(RELAYS, "/v1/models"), **dict.fromkeys(GOOGLE, "/v1beta/models")}


@pytest.fixture(autouse=True)
def _fresh_log(relay):
    relay.requests.clear()


def client_check(relay, protocol: str, *, key: str = KEY, model: str | None = None, base=None):
    client = veo.Client(
        base_url=base or relay.base_url, api_key=key, protocol=protocol, model=model
    )
    try:
        return client.check()
    finally:
        client.close()


def asked(relay) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in relay.requests]


def questions(result) -> list[tuple[str, bool]]:
    return [(f.question, f.ok) for f in result.findings]


def no_key_anywhere(result, key: str = KEY) -> None:
    for shown in (result.text(), result.html(), repr(result)):
        assert key not in shown and key[3:] not in shown


def test_every_protocol_has_a_probe():
    assert set(PROBES) >= {"chat", "videos", "create", "gemini", "interactions", "vertex"}


@pytest.mark.parametrize("protocol", KEYED)
def test_a_route_that_can_make_a_video_says_so_with_gets_only(relay, protocol):
    result = client_check(relay, protocol)
    assert result.ok, result.text()
    assert questions(result) == [
        ("answers", True),
        ("key", True),
        ("video models", True),
        ("model", True),
    ]
    assert result.text().endswith(f"ready: this route can make a video ({result.model})")
    assert asked(relay) == [("GET", LIST_PATHS[protocol])]
    assert all("key" not in r.query for r in relay.requests)
    no_key_anywhere(result)


def test_a_relay_says_which_name_a_job_would_send(relay):
    result = client_check(relay, "chat", model="veo-3.1-fast")
    assert result.findings[-1].says == "veo-3.1-fast is sold here (sent as veo-3.1-fast)"
    assert "a default clip of veo-3.1-fast costs about $0.15" in result.notes


def test_gemini_notes_that_google_retired_the_listed_veo_id(relay):
    result = client_check(relay, "gemini")
    assert result.model == "veo-3.1-generate-preview"
    assert any(
        "retired veo-3.1-generate-preview on the Gemini API on 2026-10-22" in n
        for n in result.notes
    )


@pytest.mark.parametrize("protocol", KEYED)
def test_a_refused_key_is_named_with_what_to_change(relay, protocol):
    relay.set_scenario("auth")
    result = client_check(relay, protocol)
    assert not result.ok
    assert questions(result) == [("answers", True), ("key", False)]
    key = result.findings[-1]
    assert key.says.startswith("refused (HTTP 40")
    variable = "GEMINI_API_KEY" if protocol in GOOGLE else "%veo login"
    assert variable in key.hint
    assert "not ready" in result.text() and "-> check the key" in result.text()
    no_key_anywhere(result)


@pytest.mark.parametrize("protocol", KEYED)
def test_a_route_that_sells_no_video_says_so(relay, protocol):
    relay.set_scenario("sells_no_video")
    result = client_check(relay, protocol)
    assert not result.ok
    assert questions(result)[-1] == ("video models", False)
    assert result.findings[-1].says == "it lists 2 models, none of them a video model"
    hint = result.findings[-1].hint
    expected = {
        "gemini": "Veo left the Gemini API on 2026-10-22",
        "interactions": "lists no Gemini Omni model",
    }.get(protocol, "sells no Google video now")
    assert expected in hint
    assert [m for m, _ in asked(relay)] == ["GET"]  # nothing was created to find out


def test_a_model_the_relay_does_not_list_gets_the_nearest_listed(relay):
    relay.set_models(["sora-2", "veo-3.1-fast"])
    result = client_check(relay, "videos")
    assert questions(result)[-1] == ("model", False)
    assert result.findings[-1].says == "veo-3.1 is not listed here"
    assert result.findings[-1].hint.startswith(
        "the nearest listed is veo-3.1-fast: --model veo-3.1-fast"
    )


def test_a_wrong_base_url_says_to_check_it(relay):
    result = client_check(relay, "videos", base=f"{relay.base_url}/api/v2")
    assert questions(result) == [("answers", False)]
    assert "answered HTTP 404" in result.findings[0].says
    assert "the base URL or the protocol looks wrong" in result.findings[0].hint


def test_nothing_answering_says_so():
    result = veo.Client(base_url=f"http://127.0.0.1:{free_port()}", api_key=KEY).check()
    assert questions(result) == [("answers", False)]
    assert "nothing answered" in result.findings[0].says
    assert "VEO_BASE_URL" in result.findings[0].hint


def test_interactions_lists_gemini_omni_with_the_key_in_its_header(relay):
    result = client_check(relay, "interactions")
    assert result.ok and result.model == "gemini-omni-1.2-flash"
    assert result.findings[2].says == "gemini-omni-1.2-flash, gemini-omni-1.1-flash"
    (request,) = relay.requests
    assert (request.method, request.path) == ("GET", "/v1beta/models")
    assert request.headers["x-goog-api-key"] == "<redacted>"  # the key went in its header


def test_a_probe_target_without_a_key_is_refused_by_the_route(relay):
    result = check_route(Target("interactions", relay.base_url, None, "gemini-omni-1.2-flash"))
    assert questions(result) == [("answers", True), ("key", False)]


# -- the front ends ------------------------------------------------------------------------------


def test_the_cli_exits_0_when_ready_and_1_when_not(relay, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("VEO_API_KEY", KEY)
    monkeypatch.delenv("VEO_PROTOCOL", raising=False)
    monkeypatch.delenv("VEO_MODEL", raising=False)
    args = [
        "check",
        "--base-url",
        relay.base_url,
        "--protocol",
        "videos",
        "--out-dir",
        str(tmp_path),
    ]
    assert main(args) == 0
    ready = capsys.readouterr().out
    assert ready.startswith(f"veo_magic check: protocol videos at {relay.base_url}")
    assert "ready: this route can make a video (veo-3.1)" in ready
    relay.set_scenario("sells_no_video")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "NO video models" in out and KEY not in out and KEY[3:] not in out


def test_the_cli_checks_the_built_in_simulator_when_nothing_is_configured(
    monkeypatch, capsys, tmp_path
):
    for name in ("VEO_BASE_URL", "VEO_API_KEY", "VEO_PROTOCOL", "VEO_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VEO_SIM_SECONDS", "0.3")
    assert main(["check", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "(the built-in simulator)" in out and "jobs here are simulated" in out


def test_the_html_report_escapes_what_the_route_said(relay):
    relay.set_scenario("auth")
    html = client_check(relay, "videos").html()
    assert html.startswith("<div class='veo-check'>") and "&#10007;" in html
    assert "<script" not in html and "(new_api_error)" in html
    json.dumps(html)  # a plain string, for a notebook's text/html
