"""Whether a create is taken, and the faults scenarios inject around it and around polls.

One place decides, for every protocol: read the ``[[sim:…]]`` tags, pick the scenario and
dialect the new task will live under, refuse before a task exists (nothing charged), or misbehave
after it exists (charged, which is what double-charge tests look for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.responses import Response

from .dialects import Dialect, resolve_dialect
from .errors import invalid_request, relay_error
from .scenarios import Hang, Reject, Scenario, Tags, get_scenario, parse_tags
from .state import SimState
from .tasks import ProtocolName, Task

__all__ = ["Admission", "accept", "admit", "poll_fault"]


@dataclass(frozen=True)
class Admission:
    """A create the simulator agreed to start: what it asked for, and what it will live under."""

    protocol: ProtocolName
    model: str
    prompt: str
    tags: Tags
    scenario: Scenario
    dialect: Dialect


def admit(
    state: SimState, prompt: str, *, protocol: ProtocolName, model: str
) -> Admission | Response:
    """The task's scenario and dialect, or the error response that refuses the create."""
    try:
        tags = parse_tags(prompt)
        dialect = resolve_dialect(tags.dialects, base=state.dialect)
    except ValueError as exc:
        return invalid_request(str(exc), param="prompt")
    scenario = state.scenario
    if tags.scenario is not None:
        scenario = get_scenario(tags.scenario)
        if scenario.on_request is not None:  # a tagged "auth": only this request is refused
            return _reject(scenario.on_request, protocol, model)
    reject = scenario.on_create
    if protocol == "interactions" and scenario.interactions_end is not None:
        reject = None  # the interaction is taken and ends in that status instead
    if reject is not None and state.fires(reject, "create", scenario.name):
        return _reject(reject, protocol, model)
    return Admission(protocol, model, prompt, tags, scenario, dialect)


async def accept(
    state: SimState, task: Task, *, file_style: Literal["uuid", "cdn"] = "uuid"
) -> Response | None:
    """Register ``task`` (charged from here on) and start rendering it; then the fault its
    scenario injects after acceptance: an error response, or a long hold (then ``None``)."""
    state.add_task(task, file_style=file_style)
    fault = task.scenario.after_accept
    if fault is None or not state.fires(fault, task.id, "accept"):
        return None
    if isinstance(fault, Reject):
        return _reject(fault, task.protocol, task.model)
    await state.hold()
    return None


async def poll_fault(state: SimState, task: Task) -> Response | None:
    """A fault injected into one poll of ``task``: an error response, or a hold (then ``None``)."""
    fault = task.scenario.on_poll
    if fault is None or not state.fires(fault, task.id, "poll"):
        return None
    if isinstance(fault, Hang):
        await state.hold()
        return None
    return _reject(fault, task.protocol, task.model)


def _reject(fault: Reject, protocol: ProtocolName, model: str) -> Response:
    return relay_error(fault.kind, protocol=protocol, model=model, retry_after=fault.retry_after)
