"""Settings: every variable declared once, read under one policy, documented from the code."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

import veo_magic
from veo_magic import Client, VeoInputError
from veo_magic._secret import Secret
from veo_magic.config.settings import (
    BASE_URL,
    VARIABLES,
    Settings,
    Variable,
    configuration_table,
    read,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(veo_magic.__file__).resolve().parent
KEY = "sk-settings-secret-0123456789"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.chdir(tmp_path)


def _strings(path: Path) -> str:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return "\n".join(t.string for t in tokens if t.type == tokenize.STRING)


def test_every_variable_the_code_names_is_declared() -> None:
    from veo_magic.config import settings as _settings

    named = {
        name
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"\b(?:VEO|GEMINI|GOOGLE)_[A-Z_]+\b", _strings(path))
        if not hasattr(_settings, name)  # a constant's name in __all__, not a variable
    }
    assert named <= {v.name for v in VARIABLES}, named - {v.name for v in VARIABLES}


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"os\.environ|os\.getenv", path.read_text())
    }
    # display.py asks whether it runs inside VS Code (VSCODE_PID) and magics.py which notebook
    # the kernel serves (JPY_SESSION_NAME): facts, not settings; the demo removes the relay's
    # variables so that it never spends money.
    assert readers == {
        "config/settings.py",
        "notebook/display.py",
        "notebook/magics.py",
        "cli/demo.py",
    }, readers


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(
        r"<!-- configuration: generated .*? -->\n(.*?)\n<!-- end of configuration -->", readme, re.S
    )
    assert found, "README.md lost its configuration table markers"
    assert found[1].strip() == configuration_table(), (
        "README.md's configuration table differs from the declarations: paste the output of "
        "`python -m veo_magic.config` between its markers"
    )


# A value each rule refuses.
BAD = {
    "VEO_BASE_URL": "relay.example.com",
    "VEO_API_KEY": "sk-one two",
    "GEMINI_API_KEY": "AIza one two",
    "GOOGLE_API_KEY": "AIza\u00e9",
    "VEO_PROTOCOL": "grpc",
    "VEO_BUDGET_USD": "lots",
    "VEO_PRICES": "{not json",
    "VEO_MAX_VIDEO_BYTES": "2GB",
    "VEO_MAX_IMAGE_BYTES": "-5",
    "VEO_EMBED_MAX_MB": "0",
    "VEO_SIM_SECONDS": "slow",
    "GOOGLE_CLOUD_PROJECT": "My Project",
    "GOOGLE_CLOUD_LOCATION": "us central1",
}
CHECKED = [v for v in VARIABLES if v.rule is not None]


def test_every_checked_variable_has_a_bad_example() -> None:
    assert {v.name for v in CHECKED} == set(BAD)


@pytest.mark.parametrize("variable", CHECKED, ids=[v.name for v in CHECKED])
def test_one_policy_an_invalid_value_names_the_variable(
    variable: Variable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable.name, BAD[variable.name])
    with pytest.raises(VeoInputError) as info:
        read(variable)
    error = info.value
    assert error.field == variable.field and error.given_as == variable.name
    assert str(error).startswith(variable.name), str(error)
    assert "allowed: " in str(error)
    if variable.rule is not None and "KEY" not in variable.name:
        assert repr(BAD[variable.name]) in str(error)
    else:  # a key is never shown, not even a bad one
        assert BAD[variable.name] not in str(error)


@pytest.mark.parametrize("name", ["VEO_MAX_VIDEO_BYTES", "VEO_SIM_SECONDS", "VEO_PROTOCOL"])
def test_the_client_refuses_a_bad_variable_when_it_is_made(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raw int() crash (VEO_MAX_VIDEO_BYTES), a ValueError at the first job (VEO_SIM_SECONDS)
    and a bad protocol all become one VeoInputError, at once."""
    monkeypatch.setenv(name, BAD[name])
    with pytest.raises(VeoInputError, match=f"^{name}="):
        Client()


def test_a_blank_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in VARIABLES:
        monkeypatch.setenv(variable.name, "  ")
    settings = Settings.load()
    assert settings.simulated and settings.protocol == "chat" and settings.model == "veo-3.1"
    assert settings.output_dir == Path("veo_outputs") and settings.budget_usd is None
    assert settings.max_video_bytes == 2 * 1024**3


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEO_PROTOCOL", "videos")
    monkeypatch.setenv("VEO_MODEL", "veo3.1")
    monkeypatch.setenv("VEO_BUDGET_USD", "2.5")
    monkeypatch.setenv("VEO_MAX_VIDEO_BYTES", "1000")
    from_env = Settings.load()
    assert (from_env.protocol, from_env.model, from_env.budget_usd) == ("videos", "veo3.1", 2.5)
    assert from_env.max_video_bytes == 1000
    given = Settings.load(protocol="create", model="veo2", budget_usd=0, max_video_bytes=5)
    assert (given.protocol, given.model, given.budget_usd) == ("create", "veo2", 0.0)
    assert given.max_video_bytes == 5
    # An argument is checked too, and its error names the argument, not the variable.
    with pytest.raises(VeoInputError, match=r"^max_video_bytes=0 is out of range"):
        Settings.load(max_video_bytes=0)


def test_a_relay_needs_both_a_url_and_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEO_BASE_URL", "https://relay.example/v1/")
    monkeypatch.setenv("VEO_API_KEY", f"Bearer {KEY}")
    settings = Settings.load()
    assert settings.base_url == "https://relay.example" and not settings.simulated
    assert settings.secret == Secret(KEY) and settings.key_from == "VEO_API_KEY"
    assert settings.poll_interval == (0.5, 10.0)
    assert Settings.load(api_key=Secret("sk-other")).key_from == "api_key"
    monkeypatch.delenv("VEO_API_KEY")
    with pytest.raises(VeoInputError) as info:
        Settings.load()
    assert info.value.field == "api_key" and "VEO_API_KEY" in str(info.value)


def test_on_gemini_googles_variables_and_address_are_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-google-0123456789")
    assert Settings.load(protocol="chat").simulated  # relays ignore Google's variables
    gemini = Settings.load(protocol="gemini")
    assert gemini.base_url == "https://generativelanguage.googleapis.com"
    assert gemini.key_from == "GOOGLE_API_KEY"
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-gemini-0123456789")
    assert Settings.load(protocol="gemini").key_from == "GEMINI_API_KEY"


def test_a_base_url_error_never_shows_the_key() -> None:
    with pytest.raises(VeoInputError) as info:
        Settings.load(base_url=f"https://user:{KEY}@relay.example/v1", api_key=KEY)
    assert KEY not in str(info.value) + repr(info.value.value)
    assert info.value.field == BASE_URL.keyword


def test_the_notebook_configures_the_declared_settings() -> None:
    from veo_magic.notebook.session import SETTINGS

    assert list(SETTINGS) == ["base_url", "protocol", "model", "output_dir"]
    for name, meaning in SETTINGS.items():
        variable = next(v for v in VARIABLES if v.keyword == name)
        assert meaning == f"{variable.meaning} ({variable.name})"
