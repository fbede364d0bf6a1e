"""Prompt templates: {name} from a namespace, {{ }} literal, errors that name the problem."""

import pytest

from veo_magic import VeoInputError
from veo_magic.notebook.template import fill, names


def test_names_are_filled_and_double_braces_are_literal():
    assert fill("a {animal} in {{snow}}", {"animal": "fox"}) == "a fox in {snow}"
    assert fill("{n:03d} {word!r}", {"n": 7, "word": "hi"}) == "007 'hi'"
    assert fill("no fields at all", {}) == "no fields at all"
    assert names("{a} {b} {a} {{c}}") == ["a", "b"]


def test_unknown_name_is_named():
    with pytest.raises(VeoInputError, match=r"\{animal\}.*'animal'.*\{\{animal\}\}"):
        fill("a {animal} in snow", {"other": 1})


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("a {obj.attr}", "plain names"),
        ("a {d[0]}", "plain names"),
        ("a {}", "name the variable"),
        ("a {0}", "plain names"),
        ("a { x }", "plain names"),
        ("unmatched {", "unmatched brace"),
        ("unmatched }", "unmatched brace"),
        ("a {x!z}", "conversion"),
        ("a {x:{w}}", "nests braces"),
    ],
)
def test_bad_templates(template, fragment):
    with pytest.raises(VeoInputError, match=fragment):
        fill(template, {"x": 1, "obj": object(), "d": [1], "w": 3})


def test_no_code_runs_on_user_objects():
    class Spy:
        touched = False

        def __getattr__(self, name):
            Spy.touched = True
            raise AttributeError(name)

    with pytest.raises(VeoInputError):
        fill("{spy.anything}", {"spy": Spy()})
    assert not Spy.touched


def test_bad_format_spec_is_an_input_error():
    with pytest.raises(VeoInputError, match="cannot format"):
        fill("{x:d}", {"x": "text"})
