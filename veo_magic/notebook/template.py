"""Prompt templates: ``{name}`` is filled from a namespace, ``{{`` and ``}}`` are literal braces.

Only plain names are allowed (``{animal}``, ``{n:02d}``, ``{title!r}``), never attribute or index
access (``{obj.attr}``, ``{d[key]}``): a prompt should not run code on the user's objects, and a
typo should fail loudly. Every error is a ``VeoInputError`` that names the problem.

    >>> fill("a {animal} in {{snow}}", {"animal": "fox"})
    'a fox in {snow}'
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from .._exceptions import VeoInputError

__all__ = ["fill", "names"]

_FORMATTER = string.Formatter()
_FORMS = "{name}, {name:spec}, {name!r} and {{literal braces}}"
_LITERAL = "write {{ and }} for literal braces"


def _fields(template: str) -> list[tuple[str, str | None, str | None]]:
    """``(name, conversion, spec)`` for each field, checked; raises ``VeoInputError``."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise VeoInputError(
            "prompt", None, f"has an unmatched brace ({exc})", _FORMS, hint=_LITERAL
        ) from exc
    fields = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            shown = "{" + name + "}"
            hint = (
                "only plain names are filled in (no attributes or indexes): put the value in a "
                "variable first"
                if name
                else "name the variable"
            )
            raise VeoInputError("prompt", None, f"uses {shown}", _FORMS, hint=f"{hint}; {_LITERAL}")
        if conversion not in (None, "r", "s", "a"):
            raise VeoInputError(
                "prompt",
                None,
                f"uses {{{name}!{conversion}}}, an unknown conversion",
                ("!r", "!s", "!a"),
            )
        if spec and ("{" in spec or "}" in spec):
            raise VeoInputError(
                "prompt", None, f"uses {{{name}:{spec}}}, which nests braces", _FORMS
            )
        fields.append((name, conversion, spec))
    return fields


def names(template: str) -> list[str]:
    """The names a template uses, in order, without repeats."""
    return list(dict.fromkeys(name for name, _, _ in _fields(template)))


def fill(template: str, namespace: Mapping[str, Any]) -> str:
    """The template with every ``{name}`` replaced from ``namespace``; raises on unknown names."""
    fields = _fields(template)
    missing = [name for name, _, _ in fields if name not in namespace]
    if missing:
        name = missing[0]
        raise VeoInputError(
            "prompt",
            None,
            f"uses {{{name}}} but no variable {name!r} is defined",
            "names of defined variables",
            hint=f"define it, or write {{{{{name}}}}} for literal braces",
        )
    out = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        out.append(literal)
        if name is None:
            continue
        value = _FORMATTER.convert_field(namespace[name], conversion)
        try:
            out.append(format(value, spec or ""))
        except (ValueError, TypeError) as exc:
            raise VeoInputError(
                "prompt",
                None,
                f"uses {{{name}:{spec}}}, which cannot format {type(value).__name__}: {exc}",
                "a format spec that fits the value",
            ) from exc
    return "".join(out)
