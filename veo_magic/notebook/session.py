"""The kernel's current ``Client`` and the settings it was made from.

``%veo login``, ``%veo config KEY=VALUE`` and ``%veo budget N`` change the settings; the client is
made again on next use, so it always matches them. The old client is closed; its running jobs
keep going to their end (the runner holds them, and closes its connections after them).

The key entered with ``%veo login`` lives only here, as a ``Secret`` inside the client: never in
the user namespace, a widget, the notebook or the history.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..config import BASE_URL, MODEL, OUTPUT_DIR, PROTOCOL, raw

if TYPE_CHECKING:
    from .._secret import Secret
    from ..client import Client
    from ..jobs import Job

__all__ = ["SETTINGS", "Session", "current_session"]

# The settings `%veo config KEY=VALUE` changes (the key has `%veo login`, the budget `%veo
# budget`): name -> what it means, from the declarations in _settings.
_CONFIGURABLE = {v.keyword: v for v in (BASE_URL, PROTOCOL, MODEL, OUTPUT_DIR)}
SETTINGS = {name: f"{v.meaning} ({v.name})" for name, v in _CONFIGURABLE.items()}


class Session:
    """Settings and the client made from them."""

    def __init__(self) -> None:
        self._settings: dict[str, Any] = {}
        self._secret: Secret | None = None
        self._budget: float | None = None
        self._budget_set = False
        self._client: Client | None = None
        self._lock = threading.RLock()
        self._shown: list[Job] = []  # jobs whose view a cell showed, oldest first

    def shown(self, job: Job) -> None:
        """A cell showed ``job``'s view (``%%veo --edit`` with no job edits the last one)."""
        with self._lock:
            self._shown = [j for j in self._shown[-49:] if j is not job] + [job]

    def last_finished(self) -> Job | None:
        """The newest job shown in this session that has its clip."""
        with self._lock:
            return next((j for j in reversed(self._shown) if j.status == "succeeded"), None)

    @property
    def client(self) -> Client:
        """The client for the current settings; raises ``VeoInputError`` if they do not fit."""
        with self._lock:
            if self._client is None:
                from ..client import Client

                client = Client(api_key=self._secret, **self._settings)
                if self._budget_set:
                    client.budget_usd = self._budget
                self._client = client
            return self._client

    def default_client(self) -> Client:
        """The client for code that names none (``veo_magic.storyboard``): this session's once
        anything was set here (login, config, budget), else one from the environment as it is."""
        with self._lock:
            if self._settings or self._secret is not None or self._budget_set:
                return self.client
        from ..client import Client

        return Client()

    def configure(self, **changes: Any) -> None:
        """Change settings (None restores the environment's value) and make the client anew.

        Raises ``VeoInputError`` if the new settings do not make a client; the old ones stay.
        """
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        with self._lock:
            settings = dict(self._settings)
            for name, value in changes.items():
                if value is None:
                    settings.pop(name, None)
                else:
                    settings[name] = value
            self._apply(settings, self._secret)

    def login(self, secret: Secret | None, base_url: str | None = None) -> None:
        """Use ``secret`` (None: back to ``VEO_API_KEY`` or the simulator) and ``base_url``."""
        with self._lock:
            settings = dict(self._settings)
            if base_url is not None:
                settings["base_url"] = base_url
            elif secret is None:
                settings.pop("base_url", None)
            self._apply(settings, secret)

    def _apply(self, settings: dict[str, Any], secret: Secret | None) -> None:
        old = (self._settings, self._secret, self._client)
        self._settings, self._secret, self._client = settings, secret, None
        try:
            self.client  # noqa: B018 - made now, so bad settings fail here, not at the next job
        except Exception:
            self._settings, self._secret, self._client = old
            raise
        if old[2] is not None:
            old[2].close()
        self._supply_default()

    def _supply_default(self) -> None:
        """From now on, code that names no client (``veo_magic.storyboard``) gets this session's:
        the one seam by which the core hears of the notebook's settings."""
        from ..client import set_default_client

        set_default_client(self.default_client)

    def set_budget(self, usd: float | None) -> None:
        """A spending limit in USD for this kernel's client (None: no limit)."""
        with self._lock:
            self._budget, self._budget_set = usd, True
            if self._client is not None:
                self._client.budget_usd = usd
        self._supply_default()

    def setting(self, name: str) -> str | None:
        """A setting as configured here, else its variable's text (checked when a client is made)."""
        value = self._settings.get(name)
        return value if value is not None else raw(_CONFIGURABLE[name])

    @property
    def secret(self) -> Secret | None:
        """The key entered with ``%veo login`` (a ``Secret``: it prints as ``***``), or None."""
        return self._secret

    @property
    def key_source(self) -> str | None:
        """Where the key comes from (``%veo login`` or a variable's name), or None; never the key."""
        if self._secret:
            return "%veo login"
        return self.client.settings.key_from


_current: Session | None = None
_current_lock = threading.Lock()


def current_session() -> Session:
    """The one session of this process (one kernel, one session)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = Session()
        return _current
