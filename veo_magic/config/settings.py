"""Settings: every environment variable veo_magic reads, declared once and read under one policy.

Each ``Variable`` says its name, the ``Client`` argument that overrides it, the rule that reads
it, its default and what it means. The policy: a blank variable is unset; any other value the
rule refuses is a ``VeoInputError`` naming the variable and what is allowed (never a silent
fallback, never a bare ``int()`` crash).

``Settings.load`` builds, once, everything a ``Client`` runs with, from its arguments (which win)
and the environment. Modules not tied to a client (the image and embed caps, price overrides,
the shared simulator) ``read`` their variable through the same declarations, and the README's
table is ``configuration_table()`` (``python -m veo_magic.config`` prints it).

    >>> read(MAX_IMAGE_BYTES, {"VEO_MAX_IMAGE_BYTES": "1000000"})
    1000000
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from .._exceptions import VeoInputError
from .._secret import Secret, redact
from ..options import GEMINI_API_PROTOCOLS, OPTION_RULES, Amount, Rule, Whole

__all__ = [
    "BASE_URL",
    "BUDGET_USD",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "EMBED_MAX_MB",
    "GEMINI_BASE_URL",
    "GEMINI_KEYS",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_PROJECT",
    "MAX_IMAGE_BYTES",
    "MODEL",
    "OUTPUT_DIR",
    "PRICES",
    "PROTOCOL",
    "PROTOCOL_MODELS",
    "SIM_SECONDS",
    "USD_PER_CLIP",
    "VARIABLES",
    "VERTEX_HOST",
    "BaseUrl",
    "Key",
    "Prices",
    "Settings",
    "Variable",
    "Vertex",
    "configuration_table",
    "raw",
    "read",
]

# Google's own API: its base when a gemini or interactions client has a key and no URL.
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
# A protocol's own default model, where VEO_MODEL's default (veo-3.1) is not sold on it:
# Gemini Omni 1.2 is Google's video default on the Interactions API (google-genai 3.1.0 notes).
PROTOCOL_MODELS = {"interactions": "gemini-omni-1.2-flash"}
# Vertex AI: one host per region, and one without a region for `global`.
VERTEX_HOST = "aiplatform.googleapis.com"
# A price: set_price and VEO_PRICES take numbers, not text ("0.1" is more likely a mistake).
USD_PER_CLIP = Amount("US dollars per clip", text=False, example="0.12", required=True)
# Something that looks like a key, pasted where a URL belongs: masked in every message.
_KEYLIKE = re.compile(r"(?i)\b(sk|key|token)([-_:=])[^\s/@?&#'\"]{4,}")


class BaseUrl(NamedTuple):
    """A relay's address, ``http(s)://host[:port][/v1]``; read as its root (no ``/v1``).

    Messages never echo a key: credentials and queries are cut from the URL shown, and anything
    key-shaped (or ``secret``) is masked.
    """

    secret: Secret | None = None  # masked in messages
    words = "http(s)://host[:port][/v1], e.g. https://api.example.com/v1"

    def check(self, field: str, value: object, *, given_as: str | None = None) -> str | None:
        import httpx  # here, not at import: reading a setting must not load the HTTP stack

        if value is None:
            return None
        url = str(value).strip().rstrip("/")
        shown = redact(_KEYLIKE.sub(r"\1\2***", url), self.secret)
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            # from None: httpx's own message repeats the URL
            raise VeoInputError(
                field, shown, "is not a URL", self.words, given_as=given_as
            ) from None
        if parsed.userinfo or parsed.query or parsed.fragment:
            port = f":{parsed.port}" if parsed.port else ""
            bare = redact(f"{parsed.scheme}://{parsed.host}{port}{parsed.path}", self.secret)
            raise VeoInputError(
                field,
                bare,
                "carries credentials, a query or a fragment (shown without them)",
                self.words,
                hint="the key belongs in api_key (VEO_API_KEY): it is sent in a header, never "
                "in the URL",
                given_as=given_as,
            )
        if parsed.scheme not in ("http", "https") or not parsed.host or re.search(r"\s", url):
            raise VeoInputError(
                field,
                shown,
                "does not start with http:// or https:// and name a host (with no spaces)",
                self.words,
                given_as=given_as,
            )
        return re.sub(r"/v1(beta)?$", "", url)


class Key(NamedTuple):
    """An API key as relays take it: printable ASCII, no spaces, no ``Bearer `` (we add that)."""

    words = "printable ASCII without spaces, e.g. sk-..."

    def check(self, field: str, value: object, *, given_as: str | None = None) -> Secret | None:
        text = value.reveal() if isinstance(value, Secret) else str(value or "")
        text = text.strip()
        if text.lower().startswith("bearer "):
            text = text[7:].strip()
        if not text:
            return None
        if not text.isascii() or not text.isprintable() or any(c.isspace() for c in text):
            raise VeoInputError(
                field,
                None,  # never shown, not even in part
                "has characters a relay cannot take in a header (spaces, line breaks or non-ASCII)",
                self.words,
                hint="give the key exactly as the relay's dashboard shows it",
                given_as=given_as,
            )
        return Secret(text)


class CloudName(NamedTuple):
    """A Google Cloud project id or a location: lowercase letters, digits and dashes."""

    words: str

    def check(self, field: str, value: object, *, given_as: str | None = None) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        if not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", text):
            raise VeoInputError(
                field, value, "is not a Google Cloud name", self.words, given_as=given_as
            )
        return text


class Prices(NamedTuple):
    """Price overrides: a JSON object of model (or family) name -> US dollars per clip."""

    words = 'a JSON object of model -> US dollars per clip, e.g. {"veo-3.1-fast": 0.12}'

    def check(
        self, field: str, value: object, *, given_as: str | None = None
    ) -> tuple[tuple[str, float], ...] | None:
        if value is None:
            return None
        try:
            table = json.loads(str(value))
        except json.JSONDecodeError as exc:
            problem = f"is not valid JSON ({exc.msg} at character {exc.pos})"
            raise VeoInputError(field, value, problem, self.words, given_as=given_as) from exc
        if not isinstance(table, dict):
            raise VeoInputError(field, value, "is not a JSON object", self.words, given_as=given_as)
        name = given_as or field
        return tuple(
            (str(model), USD_PER_CLIP.check(field, price, given_as=f"{name}[{model!r}]"))
            for model, price in table.items()
        )


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable: what it means, how it is read, and its default."""

    name: str
    meaning: str
    default: Any = None  # the value when unset
    default_words: str = "none"  # the default as the README says it
    rule: Rule | None = None  # None: any text (a model name, a folder), checked where it is used
    keyword: str | None = None  # the Client argument that overrides it
    text: str = "text"  # what is allowed, in words, when no rule reads it

    @property
    def allowed(self) -> str:
        """What the variable allows, in words: its rule's, else ``text``."""
        return self.rule.words if self.rule is not None else self.text

    @property
    def field(self) -> str:
        """What an error names as its field: the Client keyword, else the variable itself."""
        return self.keyword or self.name

    @property
    def label(self) -> str:
        """``budget_usd (VEO_BUDGET_USD)``: the setting, wherever it may be given."""
        return f"{self.keyword} ({self.name})" if self.keyword else self.name

    def check(self, value: object, *, from_environment: bool) -> Any:
        """``value`` read by the rule, the error naming the variable when it came from there."""
        if self.rule is None:
            return value
        given_as = self.name if from_environment else None
        return self.rule.check(self.field, value, given_as=given_as)


# The Client's own arguments, which no variable sets: their defaults, declared once (the Client's
# signature, Settings.load and the relay's HTTP seam all use these).
DEFAULT_MAX_CONCURRENCY = 8  # jobs of one client running at once
DEFAULT_TIMEOUT = 60.0  # seconds one HTTP request may take
DEFAULT_IDLE_TIMEOUT = 120.0  # seconds a stream may stay silent before it counts as dead

BASE_URL = Variable(
    "VEO_BASE_URL",
    "the relay, with or without `/v1`",
    default_words="none: the built-in simulator",
    rule=BaseUrl(),
    keyword="base_url",
)
API_KEY = Variable(
    "VEO_API_KEY",
    "the relay's key, sent as `Authorization: Bearer …` (on `gemini` and `interactions`, as "
    "`x-goog-api-key`; `vertex` takes no key)",
    rule=Key(),
    keyword="api_key",
)
GEMINI_API_KEY = Variable(
    "GEMINI_API_KEY",
    "the key on `gemini` and `interactions` when `VEO_API_KEY` is unset (Google's SDK reads it)",
    rule=Key(),
)
GOOGLE_API_KEY = Variable(
    "GOOGLE_API_KEY",
    "the key on `gemini` and `interactions` when neither `VEO_API_KEY` nor `GEMINI_API_KEY` is set",
    rule=Key(),
)
PROTOCOL = Variable(
    "VEO_PROTOCOL",
    "the wire protocol",
    default="chat",
    default_words="`chat`",
    rule=OPTION_RULES["protocol"],
    keyword="protocol",
)
MODEL = Variable(
    "VEO_MODEL",
    "the model a request uses when it names none",
    default="veo-3.1",
    default_words="`veo-3.1` (on `interactions`: `gemini-omni-1.2-flash`)",
    keyword="model",
    text="an alias such as `veo-3.1`, or a relay's full model name",
)
OUTPUT_DIR = Variable(
    "VEO_OUTPUT_DIR",
    "where clips, sidecars and the journal go",
    default="veo_outputs",
    default_words="`veo_outputs`",
    keyword="output_dir",
    text="a folder (made if missing)",
)
BUDGET_USD = Variable(
    "VEO_BUDGET_USD",
    "refuse submissions that would pass this estimated spend",
    rule=Amount("US dollars", example="5 or 2.50"),
    keyword="budget_usd",
)
PRICES = Variable(
    "VEO_PRICES",
    "price overrides per model or family",
    default=(),
    default_words="seed 001's table per clip on relays; Google's per-second list on its ids",
    rule=Prices(),
)
MAX_VIDEO_BYTES = Variable(
    "VEO_MAX_VIDEO_BYTES",
    "largest clip downloaded, in bytes",
    default=2 * 1024**3,
    default_words="2147483648 (2 GiB)",
    rule=Whole(1, text=True),
    keyword="max_video_bytes",
)
MAX_IMAGE_BYTES = Variable(
    "VEO_MAX_IMAGE_BYTES",
    "largest image accepted as a frame or reference, in bytes",
    default=20 * 1024 * 1024,  # inline relays and Gemini's request cap sit near here
    default_words="20971520 (20 MiB)",
    rule=Whole(1, text=True),
)
EMBED_MAX_MB = Variable(
    "VEO_EMBED_MAX_MB",
    "largest clip embedded in a notebook (`--embed`, Colab, VS Code), in MB",
    default=20.0,
    default_words="20",
    rule=Amount("megabytes", positive=True),
)
GOOGLE_APPLICATION_CREDENTIALS = Variable(
    "GOOGLE_APPLICATION_CREDENTIALS",
    "on `vertex`: a service-account JSON file for Application Default Credentials",
    default_words="gcloud's (`gcloud auth application-default login`)",
    text="a file path",
)
GOOGLE_CLOUD_PROJECT = Variable(
    "GOOGLE_CLOUD_PROJECT",
    "on `vertex`: the Google Cloud project billed",
    default_words="the credentials' project",
    rule=CloudName("a project id, e.g. my-project-123"),
)
GOOGLE_CLOUD_LOCATION = Variable(
    "GOOGLE_CLOUD_LOCATION",
    "on `vertex`: the Vertex AI region (`global`: no region)",
    default="us-central1",
    default_words="`us-central1`",
    rule=CloudName("a region such as us-central1, or global"),
)
SIM_SECONDS = Variable(
    "VEO_SIM_SECONDS",
    "how long the built-in simulator takes to make a clip, in seconds",
    default=6.0,
    default_words="6",
    rule=Amount("seconds"),
)
VARIABLES = (
    BASE_URL,
    API_KEY,
    GEMINI_API_KEY,
    GOOGLE_API_KEY,
    PROTOCOL,
    MODEL,
    OUTPUT_DIR,
    BUDGET_USD,
    PRICES,
    MAX_VIDEO_BYTES,
    MAX_IMAGE_BYTES,
    EMBED_MAX_MB,
    SIM_SECONDS,
    GOOGLE_APPLICATION_CREDENTIALS,
    GOOGLE_CLOUD_PROJECT,
    GOOGLE_CLOUD_LOCATION,
)
# Google's SDK reads these too: on `gemini` and `interactions` the first one set is the key.
GEMINI_KEYS = (API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY)


def raw(variable: Variable, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's text, stripped; None when unset or blank."""
    return (os.environ if environ is None else environ).get(variable.name, "").strip() or None


def read(variable: Variable, environ: Mapping[str, str] | None = None) -> Any:
    """The variable's value (its default when unset), or ``VeoInputError`` naming it."""
    text = raw(variable, environ)
    return variable.default if text is None else _parsed(variable, text)


@lru_cache(maxsize=64)
def _parsed(variable: Variable, text: str) -> Any:
    # Cached by text: the catalog reads VEO_PRICES on every price it looks up.
    return variable.check(text, from_environment=True)


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


@dataclass(frozen=True, slots=True)
class Vertex:
    """Where Vertex AI jobs go and whose credentials pay: read once, checked, nothing loaded."""

    location: str
    project: str | None  # None: the credentials' own project
    credentials_file: str | None  # None: gcloud's Application Default Credentials

    @property
    def base_url(self) -> str:
        """Google's host for the location (``global`` has no region in its name)."""
        prefix = "" if self.location == "global" else f"{self.location}-"
        return f"https://{prefix}{VERTEX_HOST}"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Vertex:
        return cls(
            location=read(GOOGLE_CLOUD_LOCATION, environ),
            project=read(GOOGLE_CLOUD_PROJECT, environ),
            credentials_file=raw(GOOGLE_APPLICATION_CREDENTIALS, environ),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """What a ``Client`` runs with, read once; ``base_url`` None means the built-in simulator."""

    protocol: str
    base_url: str | None
    secret: Secret | None
    key_from: str | None  # where the key came from: "api_key" or a variable's name
    model: str
    output_dir: Path
    budget_usd: float | None
    max_video_bytes: int
    max_concurrency: int
    poll_interval: tuple[float, float]
    idle_timeout: float
    timeout: float
    vertex: Vertex | None = None  # on `vertex`: project, location, credentials

    @property
    def simulated(self) -> bool:
        return self.base_url is None

    @classmethod
    def load(
        cls,
        *,
        environ: Mapping[str, str] | None = None,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        protocol: str | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        model: str | None = None,
        budget_usd: float | None = None,
        max_video_bytes: int | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        poll_interval: tuple[float, float] | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Settings:
        """Arguments first, then the environment, then the defaults; refuse what does not fit."""

        def setting(variable: Variable, argument: object) -> Any:
            if _given(argument):
                return variable.check(argument, from_environment=False)
            return read(variable, environ)

        chosen = setting(PROTOCOL, protocol)
        # Vertex AI takes OAuth tokens from Google's credentials, never an API key.
        vertex = Vertex.load(environ) if chosen == "vertex" else None
        secret, key_from = _key(chosen, api_key, environ) if vertex is None else (None, None)
        # Read here rather than with read(): the key must be known to mask it in a bad URL.
        url = raw(BASE_URL, environ) if not _given(base_url) else base_url
        if url is None and vertex is not None:
            url = vertex.base_url
        if url is None and secret is not None:
            if chosen not in GEMINI_API_PROTOCOLS:
                raise VeoInputError(
                    "base_url",
                    None,
                    "is not set, but an API key is",
                    BaseUrl.words,
                    given_as=BASE_URL.label,
                )
            url = GEMINI_BASE_URL
        root = None
        if url is not None:
            root = BaseUrl(secret).check(
                "base_url", url, given_as=None if _given(base_url) else BASE_URL.name
            )
            if secret is None and vertex is None:
                raise VeoInputError(
                    "api_key",
                    None,
                    f"is not set, but base URL {root} is",
                    "the relay's key, e.g. sk-...",
                    hint="the simulator accepts any key, e.g. sk-test",
                    given_as=API_KEY.label,
                )
        else:
            read(SIM_SECONDS, environ)  # checked now, not when the first job starts the simulator
        rules = _CLIENT_RULES  # the Client's own arguments, which no variable sets
        return cls(
            protocol=chosen,
            base_url=root,
            secret=secret,
            key_from=key_from,
            model=_model(chosen, model, environ),
            output_dir=Path(setting(OUTPUT_DIR, output_dir)),
            budget_usd=setting(BUDGET_USD, budget_usd),
            max_video_bytes=setting(MAX_VIDEO_BYTES, max_video_bytes),
            max_concurrency=rules["max_concurrency"].check("max_concurrency", max_concurrency),
            poll_interval=_poll_interval(poll_interval, simulated=root is None),
            idle_timeout=rules["idle_timeout"].check("idle_timeout", idle_timeout),
            timeout=rules["timeout"].check("timeout", timeout),
            vertex=vertex,
        )


_CLIENT_RULES: dict[str, Rule] = {  # the defaults (DEFAULT_*) are at the top
    "max_concurrency": Whole(1),
    "idle_timeout": Amount("seconds", positive=True, text=False),
    "timeout": Amount("seconds", positive=True, text=False),
}


def _model(protocol: str, model: str | None, environ: Mapping[str, str] | None) -> str:
    """The model asked for, else ``VEO_MODEL``, else the protocol's own default."""
    if _given(model):
        return MODEL.check(model, from_environment=False)
    if raw(MODEL, environ) is None and protocol in PROTOCOL_MODELS:
        return PROTOCOL_MODELS[protocol]
    return read(MODEL, environ)


def _key(
    protocol: str, api_key: str | Secret | None, environ: Mapping[str, str] | None
) -> tuple[Secret | None, str | None]:
    """The key and where it came from; on Google's own API (``gemini``, ``interactions``)
    Google's own variables count too."""
    if api_key if isinstance(api_key, Secret) else _given(api_key):
        return API_KEY.check(api_key, from_environment=False), "api_key"
    for variable in GEMINI_KEYS if protocol in GEMINI_API_PROTOCOLS else (API_KEY,):
        if (secret := read(variable, environ)) is not None:
            return secret, variable.name
    return None, None


def _poll_interval(value: tuple[float, float] | None, *, simulated: bool) -> tuple[float, float]:
    if value is None:
        return (0.2, 2.0) if simulated else (0.5, 10.0)  # see benchmarks: ~0.2 s lag on a relay
    seconds = Amount("seconds", positive=True, text=False)
    low, high = (seconds.check("poll_interval", v) for v in value)
    return low, high


def configuration_table() -> str:
    """The README's table of variables, rendered from the declarations."""
    rows = [
        "| variable | `Client` argument | meaning | allowed | default |",
        "|---|---|---|---|---|",
    ]
    for v in VARIABLES:
        keyword = f"`{v.keyword}`" if v.keyword else ""
        rows.append(f"| `{v.name}` | {keyword} | {v.meaning} | {v.allowed} | {v.default_words} |")
    return "\n".join(rows)
