"""Model names in every relay spelling -> capabilities, wire names, prices.

STUB: ``ModelSpec`` to be written with ``parse_model``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelSpec", "parse_model"]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str


def parse_model(name: str) -> ModelSpec:
    raise NotImplementedError
