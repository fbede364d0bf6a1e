"""A storyboard written as text: the body of a ``%%veo --storyboard`` cell.

    a fox wakes in its den, morning light
    ---
    >> --seconds 4 --negative "people"
    the fox steps out into fresh snow
    ---
    the fox runs across the field

Shots are separated by a line that is exactly ``---``. A shot may begin with its own option
line, ``>>`` and then the same options as ``%%veo`` (shell quoting), for what differs in that
shot; the rest of the shot is its prompt.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from .._exceptions import VeoInputError
from ..options import add_request_options, request_kwargs
from .shots import ShotInputError

__all__ = ["OPTION_PREFIX", "SEPARATOR", "parse_shots"]

SEPARATOR = "---"
OPTION_PREFIX = ">>"
HINT = f'write e.g. {OPTION_PREFIX} --seconds 4 --negative "people" (the options of %%veo)'


class _OptionLine(argparse.ArgumentParser):
    """The request options, with mistakes raised as ``VeoInputError`` instead of an exit."""

    def __init__(self, index: int) -> None:
        super().__init__(prog=f"shot {index}: {OPTION_PREFIX}", add_help=False)
        self.index = index
        add_request_options(self)

    def error(self, message: str) -> NoReturn:
        raise ShotInputError(self.index, "options", None, f"cannot be read: {message}", hint=HINT)


def _options(index: int, line: str) -> dict[str, Any]:
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise ShotInputError(
            index, "options", line.strip(), f"cannot be read: {exc} (a quote is not closed?)"
        ) from None
    return request_kwargs(_OptionLine(index).parse_args(argv))


def parse_shots(text: str) -> list[dict[str, Any]]:
    """Each shot as ``{"prompt": …, **its own options}``; an empty shot is a ``VeoInputError``.

    >>> parse_shots("a fox wakes\\n---\\n>> --seconds 4\\nthe fox runs")
    [{'prompt': 'a fox wakes'}, {'seconds': '4', 'prompt': 'the fox runs'}]
    """
    chunks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == SEPARATOR:
            chunks.append([])
        else:
            chunks[-1].append(line)
    shots = []
    for index, lines in enumerate(chunks):
        while lines and not lines[0].strip():
            lines = lines[1:]
        options: dict[str, Any] = {}
        if lines and lines[0].lstrip().startswith(OPTION_PREFIX):
            options = _options(index, lines[0].lstrip()[len(OPTION_PREFIX) :])
            lines = lines[1:]
        prompt = "\n".join(lines).strip()
        if not prompt:
            if len(chunks) == 1:
                raise VeoInputError(
                    "shots", None, "are missing", hint="write each shot's prompt, with --- between"
                )
            raise ShotInputError(
                index,
                "prompt",
                None,
                f"is empty ({_where(index, len(chunks))}): every shot needs one",
                hint="remove the extra --- or write what happens in that shot",
            )
        shots.append({**options, "prompt": prompt})
    return shots


def _where(index: int, count: int) -> str:
    if index == 0:
        return "before the first ---"
    return "after the last ---" if index == count - 1 else "between two --- lines"
