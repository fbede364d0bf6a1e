"""A Veo relay simulator: the stand-in for every relay veo_magic talks to.

No real relay is reachable from tests, classrooms or CI, so this server speaks all three wire
protocols the way the relays in ``seeds/`` do (PROTOCOLS.md), byte for byte where the seeds show
the bytes, and renders real H.264/AAC MP4s with the prompt drawn on the frames:

* ``POST /v1/chat/completions``: SSE stream (seed 001) or non-stream reply (seed 000);
* ``/v1/videos`` as new-api's own code serves it on a Gemini channel (NEWAPI.md: ``task_`` ids,
  no URL in the task object, the clip only at ``/content``), or, as the ``passthrough`` dialect,
  as the seeds' relays pass an upstream's object through (list, delete, remix, Range);
* ``GET /v1/models``, new-api's list (``models=`` narrows it to play a gateway's admin);
* ``POST /v1/video/create`` + ``GET /v1/video/query?id=``, the unified format's Veo statuses;
* Google's Gemini API (``gemini.py``): ``POST /v1beta/models/{model}:predictLongRunning``,
  ``GET /v1beta/{operation name}``, ``GET /v1beta/files/{id}:download``;
* Google's Interactions API for Gemini Omni (``interactions.py``): ``POST /v1beta/interactions``
  (background, stream), ``GET`` (and its event stream), cancel, delete, ``GET /v1beta/files/{id}``;
* result URLs on the same server (``/files/…``, ``/assets/flow/…``, ``/cdn/…``) standing in for CDNs.

Start it::

    python -m veo_magic.simulator --port 8765 [--generation-seconds 6] [--scenario NAME] [--dialect NAME]
        [--models NAMES] [--tls]

``--tls`` (``Simulator(tls=True)``) serves https with a throwaway CA from trustme (``ca_file``), so
Gemini file links are ``https://`` on the simulator's own host and can be fetched as written, with
the key and a redirect, as Google's are: what LiteLLM's proxy needs in front of it.

or in-process (tests, and the client's default when no key or URL is configured)::

    from veo_magic.simulator import Simulator, shared_simulator
    with Simulator(generation_seconds=1.0) as sim:   # a free loopback port, a daemon thread
        sim.base_url, sim.requests, sim.accepted_creates, sim.tasks
        sim.set_scenario("refuse")

Any key is accepted (``sk-…`` or ``Bearer sk-…``); a missing one gets new-api's 401. Keys are
never logged or echoed.

Scenarios (``SCENARIOS``) script refusals and faults: server-wide, or per request with a tag in the
prompt, ``[[sim:refuse]]``, stripped from the drawn text. Dialects (``DIALECTS``) switch between
the spellings relays use for the same thing: full-width chat punctuation, status words, where the
video URL sits, id shapes, JSON ``/content``. ``python -m veo_magic.simulator --help`` lists both.
"""

from __future__ import annotations

from .dialects import DIALECTS
from .scenarios import SCENARIOS
from .server import Simulator, shared_simulator
from .state import LoggedRequest

__all__ = ["DIALECTS", "SCENARIOS", "LoggedRequest", "Simulator", "shared_simulator"]
