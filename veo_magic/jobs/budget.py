"""The budget: what this output folder's jobs have committed, and a refusal before a new one
would pass the limit (``VEO_BUDGET_USD``). Simulated jobs are counted apart from paid ones."""

from __future__ import annotations

from .._exceptions import VeoBudgetError
from .journal import Journal

__all__ = ["Budget"]


class Budget:
    """A limit in USD over the journal's recorded estimates (None: no limit)."""

    def __init__(self, journal: Journal, limit_usd: float | None, *, simulated: bool) -> None:
        self.journal = journal
        self.limit_usd = limit_usd  # `%veo budget` changes it on a live client
        self.simulated = simulated

    def spent(self) -> float:
        """Estimated USD committed so far in this output folder."""
        return self.journal.spend(simulated=self.simulated)

    def check(self, estimate: float, *, what: str = "this request") -> None:
        """Raise ``VeoBudgetError`` if ``estimate`` USD more would pass the limit."""
        if self.limit_usd is None:
            return
        spent = self.spent()
        if spent + estimate > self.limit_usd + 1e-9:
            raise VeoBudgetError(self.limit_usd, spent, estimate, what)
