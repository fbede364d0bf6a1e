import pickle

import pytest

from veo_magic._secret import Secret, redact

KEY = "sk-live-1234567890abcdef"


def test_secret_never_shows_itself():
    secret = Secret(KEY)
    for text in (
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>10}",
        repr([secret]),
    ):
        assert KEY not in text
        assert "***" in text
    assert secret.reveal() == KEY


def test_secret_cannot_be_pickled():
    with pytest.raises(TypeError):
        pickle.dumps(Secret(KEY))


def test_redact_removes_key_and_its_core():
    text = f"Authorization: Bearer {KEY}; token {KEY[3:]}"
    out = redact(text, Secret(KEY))
    assert KEY not in out and KEY[3:] not in out
    assert out.count("***") == 2


def test_redact_ignores_empty():
    assert redact("hello", None, "", Secret("")) == "hello"
