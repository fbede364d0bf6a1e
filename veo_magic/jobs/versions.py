"""The versions of a clip: a tree of jobs, each an edit or extension of its parent (issue 19).

Read from the journal (``Journal.family``), so it is the same tree after a restart. Editing an
older version starts a branch; nothing is overwritten: every version keeps its own file and
sidecar. ``Versions.spend`` is what the whole clip has cost so far, counted as the budget counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Version", "Versions", "counts_in_spend"]


def counts_in_spend(row: Mapping[str, Any]) -> bool:
    """Whether a row's cost is committed (``journal.SPEND_SQL``'s rule)."""
    status = row.get("status")
    return bool(
        status in ("queued", "running", "succeeded")
        or (status == "cancelled" and row.get("task_id"))
        or (status == "failed" and row.get("may_charge"))
    )


@dataclass
class Version:
    """One version: the job that made it and how (``step``: new, edit, extend)."""

    job_id: str
    prompt: str
    step: str
    status: str
    cost: float
    seconds: int
    files: tuple[Path, ...]
    parent: str | None
    task_id: str | None = None
    created_at: float = 0.0
    children: list[Version] = field(default_factory=list)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Version:
        request = row.get("request") or {}
        lineage = request.get("lineage") if isinstance(request.get("lineage"), Mapping) else {}
        seconds = lineage.get("total_seconds") or request.get("seconds") or 0
        return cls(
            job_id=str(row["id"]),
            prompt=str(row.get("prompt") or request.get("prompt") or ""),
            step=str(lineage.get("step") or "new"),
            status=str(row.get("status") or ""),
            cost=float(row.get("cost") or 0.0),
            seconds=int(seconds),
            files=tuple(Path(f) for f in row.get("files") or ()),
            parent=lineage.get("parent"),
            task_id=row.get("task_id"),
            created_at=float(row.get("created_at") or 0.0),
        )


class Versions:
    """A clip's versions as a tree: ``root`` first, each version's ``children`` in the order
    they were made. Iterating walks it depth first."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            raise ValueError("a clip has at least one version")
        nodes = {str(row["id"]): Version.of(row) for row in rows}
        self._committed = {str(row["id"]) for row in rows if counts_in_spend(row)}
        roots: list[Version] = []
        for node in nodes.values():
            parent = nodes.get(node.parent or "")
            (parent.children if parent is not None else roots).append(node)
        self.root = roots[0]
        self._orphans = roots[1:]  # a parent row gone from the journal: shown at the top level

    def __iter__(self) -> Iterator[Version]:
        for top in (self.root, *self._orphans):
            yield from _walk(top)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, job_id: str) -> Version:
        for version in self:
            if version.job_id == job_id:
                return version
        raise KeyError(job_id)

    def depth(self, job_id: str) -> int:
        """How many steps ``job_id`` is from the first version."""
        version, steps = self[job_id], 0
        while version.parent and version.parent in {v.job_id for v in self}:
            version, steps = self[version.parent], steps + 1
        return steps

    @property
    def spend(self) -> float:
        """Estimated USD the whole clip has committed, every version and branch."""
        return round(sum(v.cost for v in self if v.job_id in self._committed), 4)

    def lines(self) -> list[str]:
        """The tree as text, one version a line, indented by depth."""
        out = []
        for version in self:
            indent = "  " * self.depth(version.job_id)
            mark = {"new": "●", "edit": "✎", "extend": "→"}.get(version.step, "·")
            file = f"  {version.files[0].name}" if version.files else ""
            out.append(
                f"{indent}{mark} {version.job_id}  {version.step:<6} {version.status:<9} "
                f"{version.seconds:>3} s  ${version.cost:.2f}  {version.prompt[:60]!r}{file}"
            )
        out.append(f"{len(self)} version(s), ${self.spend:.2f} in all")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<veo_magic.Versions of {self.root.job_id}: {len(self)}, ${self.spend:.2f}>"


def _walk(version: Version) -> Iterator[Version]:
    yield version
    for child in version.children:
        yield from _walk(child)
