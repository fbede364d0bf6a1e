"""The storyboard cell's body: shots separated by ``---``, per-shot ``>>`` option lines."""

from __future__ import annotations

import pytest

from veo_magic import VeoInputError
from veo_magic.storyboards.script import parse_shots


def test_shots_with_their_own_options():
    body = (
        "a fox wakes in its den\nmorning light\n"
        "---\n"
        '>> --seconds 4 --negative "people, cars"\n'
        "the fox steps out\n"
        "  ---  \n"
        "\n"
        "the fox runs\n"
    )
    assert parse_shots(body) == [
        {"prompt": "a fox wakes in its den\nmorning light"},
        {"seconds": "4", "negative_prompt": "people, cars", "prompt": "the fox steps out"},
        {"prompt": "the fox runs"},
    ]


def test_a_dash_line_inside_text_is_not_a_separator():
    assert parse_shots("a -- b\n----\nc --- d") == [{"prompt": "a -- b\n----\nc --- d"}]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("---", "shot 0: prompt is empty (before the first ---)"),
        ("a fox\n---", "shot 1: prompt is empty (after the last ---)"),
        ("a fox\n---\n\n---\nthe fox runs", "shot 1: prompt is empty (between two --- lines)"),
        ("a fox\n---\n>> --seconds 4", "shot 1: prompt is empty"),
        ("", "shots are missing"),
        ("a fox\n---\n>> --sekonds 4\nthe fox runs", "shot 1: options cannot be read"),
        ('a fox\n---\n>> --negative "people\nthe fox', "a quote is not closed"),
    ],
)
def test_mistakes_name_the_shot(body, words):
    with pytest.raises(VeoInputError) as info:
        parse_shots(body)
    assert words in str(info.value)
