"""The ``veo-magic`` command's input errors: the core's words, then how to act from a shell, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from veo_magic.cli import main

KEY = "sk-cli-secret-0123456789"


@pytest.fixture(autouse=True)
def _no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("VEO_BASE_URL", "VEO_API_KEY", "VEO_BUDGET_USD", "VEO_PROTOCOL", "VEO_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("env", "argv", "said", "how"),
    [
        (
            {},
            ["--base-url", "https://relay.example/v1"],
            "api_key (VEO_API_KEY) is not set, but base URL https://relay.example is",
            "set VEO_API_KEY",
        ),
        (
            {"VEO_API_KEY": KEY},
            [],
            "base_url (VEO_BASE_URL) is not set, but an API key is",
            "set VEO_BASE_URL or pass --base-url",
        ),
        (
            {"VEO_BUDGET_USD": "lots"},
            [],
            "VEO_BUDGET_USD='lots' is not a number",
            "set VEO_BUDGET_USD",
        ),
        (
            {"VEO_PROTOCOL": "grpc"},
            [],
            "VEO_PROTOCOL='grpc' is not one of the choices; allowed: chat, videos, create, gemini",
            "set VEO_PROTOCOL or pass --protocol",
        ),
    ],
)
def test_configuration_errors_say_how_to_act_in_a_shell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env, argv, said, how
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["generate", "a fox", *argv]) == 2  # bad configuration: nothing was sent
    err = capsys.readouterr().err
    assert err.startswith("veo-magic: ") and said in err, err
    assert err.count(how) == 1, err
    assert KEY not in err and "%veo" not in err


def test_request_errors_have_no_shell_advice_to_add(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "a fox", "--n", "9"]) == 2
    err = capsys.readouterr().err
    assert "n=9 is out of range" in err and "allowed: 1 to 4" in err
    assert "%%veo" not in err and "set VEO_" not in err


def test_help_lists_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    from veo_magic.config.settings import VARIABLES

    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    for variable in VARIABLES:
        assert variable.name in out


def test_models_lists_both_kinds_of_price(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "Relay models: USD per clip" in out and "$0.25/clip" in out
    assert "USD per second of clip" in out and "$0.05/s 720p · $0.08/s 1080p" in out
    assert "retired on the Gemini API since 2026-10-22" in out


def test_the_demo_finds_the_quickstart_notebook_of_the_checkout() -> None:
    # `make demo` runs notebooks/quickstart.ipynb after its clip; a wrong path skips it silently.
    from veo_magic.cli import demo

    assert Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb" == demo.NOTEBOOK
    assert demo.NOTEBOOK.is_file()


def test_edit_extend_and_versions_from_a_shell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    """A clip, an edit of it and an extension of the edit, each by its job id; then the tree."""
    import json

    monkeypatch.setenv("VEO_SIM_SECONDS", "0.3")
    out = ["--out-dir", str(tmp_path / "out")]
    made = ["--protocol", "interactions", "--seconds", "3", "--resolution", "360p"]
    assert main(["generate", "a lighthouse at dusk", *made, *out]) == 0
    clip = Path(capsys.readouterr().out.strip().splitlines()[-1])
    first = json.loads(clip.with_suffix(".json").read_text())["job_id"]
    assert main(["edit", first, "make it night", *out]) == 0  # the protocol comes from the row
    said = capsys.readouterr()
    edited = Path(said.out.strip().splitlines()[-1])
    assert "edit of" in said.err and edited.is_file() and edited != clip
    night = json.loads(edited.with_suffix(".json").read_text())["job_id"]
    assert main(["extend", night, "the beam sweeps the sea", "--seconds", "4", *out]) == 0
    longer = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert (
        json.loads(longer.with_suffix(".json").read_text())["request"]["lineage"]["total_seconds"]
        == 7
    )
    assert main(["versions", first, *out]) == 0
    tree = capsys.readouterr().out
    assert "3 version(s)" in tree and "make it night" in tree and "the beam sweeps" in tree
    assert main(["edit", "nope", "make it night", *out]) == 2
    assert "is no job in this output folder's journal" in capsys.readouterr().err
