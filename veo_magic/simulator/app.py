"""The Starlette app: routes, the key check, the request log, the control routes.

Routes under ``/v1`` need a key (any key: ``sk-…`` or ``Bearer sk-…``, as new-api's
``TokenAuth`` strips both); result files and tracking pages are public, as CDNs are. Anything
else, including a known path with the wrong method, gets new-api's ``Invalid URL (METHOD /path)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import html
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import chat, create, gemini, interactions, listings, models, vertex, videos
from .errors import invalid_request, invalid_url, new_api_error, relay_error
from .files import result_file
from .gojson import GoJSONResponse
from .state import LoggedRequest, SimState

__all__ = ["build_app"]

Handler = Callable[[Request], Awaitable[Response]]
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-goog-api-key"})
SECRET_PARAMS = frozenset({"key", "api_key", "api-key"})
MAX_LOGGED = 10_000


class RequestLog:
    """ASGI middleware: one ``LoggedRequest`` per request, secrets redacted, status recorded."""

    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__sim__/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization")
        for name in SECRET_HEADERS & headers.keys():
            headers[name] = "<redacted>"
        query = dict(
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        )
        for name in SECRET_PARAMS & query.keys():  # Gemini-style clients put the key in the URL
            query[name] = "<redacted>"
        entry = LoggedRequest(
            method=scope["method"],
            path=scope["path"],
            query=query,
            headers=headers,
            auth_present=bool(auth and auth.strip()),
            auth_bearer=bool(auth and auth.startswith("Bearer ")),
        )
        scope.setdefault("state", {})["log"] = entry
        log = self.state.requests
        log.append(entry)
        if len(log) > MAX_LOGGED:  # a shared simulator in a long session must not grow forever
            del log[: len(log) // 2]

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, logged_send)


def requires_key(handler: Handler) -> Handler:
    """new-api's ``TokenAuth``: any non-empty key passes; a server-wide ``auth`` scenario does not."""

    @functools.wraps(handler)
    async def checked(request: Request) -> Response:
        value = request.headers.get("authorization", "")
        key = value.removeprefix("Bearer ").strip().removeprefix("sk-").strip()
        if not key:
            return new_api_error(401, "未提供令牌")
        state: SimState = request.app.state.sim
        if (reject := state.scenario.on_request) is not None:
            return relay_error(reject.kind, protocol="videos")
        return await handler(request)

    return checked


# -- control and tracking routes ---------------------------------------------------------------


async def set_scenario(request: Request) -> Response:
    """``POST /__sim__/scenario {"name": "refuse", "dialect": "fullwidth", "models": ["veo-3.1"]}``
    (each optional; ``"models": null`` lists everything again)."""
    state: SimState = request.app.state.sim
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        if "name" in body:
            state.set_scenario(body["name"])
        if "dialect" in body:
            state.set_dialect(body["dialect"])
        if "models" in body:
            state.set_models(body["models"])
    except ValueError as exc:
        return invalid_request(str(exc))
    return GoJSONResponse({"scenario": state.scenario.name, "dialect": state.dialect.name})


async def show_state(request: Request) -> Response:
    state: SimState = request.app.state.sim
    return GoJSONResponse(
        {
            "scenario": state.scenario.name,
            "dialect": state.dialect.name,
            "generation_seconds": state.generation_seconds,
            "accepted_creates": state.accepted_creates,
            "tasks": [t.id for t in list(state.tasks.values())],
        }
    )


async def show_requests(request: Request) -> Response:
    state: SimState = request.app.state.sim
    return GoJSONResponse([dataclasses.asdict(r) for r in list(state.requests)])


async def source_page(request: Request) -> Response:
    """Stand-in for asyncdata.net/source/<id> (seed 000's "原始数据" link): the raw task."""
    state: SimState = request.app.state.sim
    task = state.task(request.path_params["task_id"])
    if task is None:
        return GoJSONResponse({"error": "task not found"}, status_code=404)
    video = videos.video_object(state, task)
    if task.has_video():
        video["video_url"] = state.file_url(task.clips[0])
    return GoJSONResponse(video)


async def web_page(request: Request) -> Response:
    """Stand-in for asyncdata.net/web/<id> (seed 000's "数据预览" link): a small status page."""
    state: SimState = request.app.state.sim
    task = state.task(request.path_params["task_id"])
    if task is None:
        return HTMLResponse("<h1>task not found</h1>", status_code=404)
    rows = f"<p>status: {task.phase()} · progress: {task.progress():.1f}%</p>"
    if task.has_video():
        rows += "".join(
            f'<video controls src="{html.escape(state.file_url(c))}"></video>' for c in task.clips
        )
    elif (error := task.error_message()) is not None:
        rows += f"<p>{html.escape(error)}</p>"
    return HTMLResponse(
        f"<!doctype html><title>{html.escape(task.id)}</title><h1>{html.escape(task.id)}</h1>{rows}"
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/v1beta/"):  # Google's own API answers in its own shape
        return gemini.not_found(request.method, request.url.path)
    if request.url.path.startswith(("/v1/projects/", "/v1beta1/projects/", "/storage/")):
        return vertex.not_found(request.method, request.url.path)
    return invalid_url(request.method, request.url.path)


def build_app(state: SimState) -> Starlette:
    """The simulator's ASGI app over ``state``."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.shutdown = asyncio.Event()
        try:
            yield
        finally:
            state.shutdown.set()

    routes = [
        Route("/v1/chat/completions", requires_key(chat.completions), methods=["POST"]),
        Route("/v1/models", requires_key(models.list_models), methods=["GET"]),
        Route("/v1/models/{model:path}", requires_key(models.one_model), methods=["GET"]),
        Route("/v1/videos", requires_key(videos.create), methods=["POST"]),
        Route("/v1/videos", requires_key(videos.list_videos), methods=["GET"]),
        Route("/v1/videos/{video_id}/content", requires_key(videos.content), methods=["GET"]),
        Route("/v1/videos/{video_id}/remix", requires_key(videos.remix), methods=["POST"]),
        Route("/v1/videos/{video_id}", requires_key(videos.retrieve), methods=["GET"]),
        Route("/v1/videos/{video_id}", requires_key(videos.delete), methods=["DELETE"]),
        Route("/v1/video/create", requires_key(create.create), methods=["POST"]),
        Route("/v1/video/query", requires_key(create.query), methods=["GET"]),
        *interactions.ROUTES,  # before gemini's: it owns the files an interaction made
        *gemini.ROUTES,
        *vertex.ROUTES,
        *listings.ROUTES,
        Route("/files/{name}", result_file, methods=["GET"]),
        Route("/assets/flow/{name}", result_file, methods=["GET"]),
        Route("/cdn/download/{date}/{name}", result_file, methods=["GET"]),
        Route("/cdn/{date}/{name}", result_file, methods=["GET"]),
        Route("/web/{task_id}", web_page, methods=["GET"]),
        Route("/source/{task_id}", source_page, methods=["GET"]),
        Route("/__sim__/scenario", set_scenario, methods=["POST"]),
        Route("/__sim__/state", show_state, methods=["GET"]),
        Route("/__sim__/requests", show_requests, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestLog, state=state)],
        exception_handlers={404: _not_found, 405: _not_found},
        lifespan=lifespan,
    )
    app.state.sim = state
    return app
