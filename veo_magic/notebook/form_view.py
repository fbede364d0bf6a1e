"""The generation form: ``%veo form`` or ``veo_magic.form()``.

Every change is validated by the core (``client.request``), so the form shows the same errors and
the same price as ``%%veo`` would, and Generate stays disabled while the input is invalid. The
controls follow the chosen model (``catalog.choices_for``): resolution lists what the model makes on
the client's protocol, and Fast, the last frame and the references are hidden where the model
refuses them (a hidden checkbox is cleared; an image already uploaded stays, and the core says
why it does not fit). Each
Generate adds a job view below; the form stays ready for the next one. Uploaded images are saved
under ``<output dir>/uploads/`` (named by content), so "Show as %%veo" can refer to them by path.

The form is a live widget: a saved notebook cannot show it without its kernel. Its jobs must
outlive it, so a displayed form has a second output below it, static, where each job moves
once it ends (its final state and clips, as a ``%%veo`` cell's output becomes): that is what a
reopened notebook, nbconvert or GitHub show of them.

The prompt is only ever a widget value or escaped text, never markup.
"""

from __future__ import annotations

import hashlib
import html
import shlex
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .._exceptions import VeoError
from .._files import write_whole
from ..media import thumbnail_for
from .job_view import JobView, final_html, final_text

if TYPE_CHECKING:
    from ..jobs import Job
    from .session import Session

__all__ = ["Form", "catalog_models", "form"]

IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
DEFAULT = 0  # the seconds dropdown's "model default" (a Dropdown cannot show None as chosen)
SECONDS = [("model default", DEFAULT), ("4 s", 4), ("6 s", 6), ("8 s", 8)]
MODEL_RESOLUTION = ""  # the resolution dropdown's "model default"


def catalog_models() -> list[Any]:
    """The catalog's ``ModelSpec``s, or [] while the catalog cannot list them."""
    try:
        from ..catalog import known_models  # type: ignore[attr-defined]

        return list(known_models())
    except Exception:  # the catalog is optional for the form: fall back to the default model
        return []


def model_options(default: str, protocol: str = "chat") -> list[tuple[str, str]]:
    """Dropdown choices ``(label with price, name)``, the client's default model included; on
    ``interactions`` only Google's Gemini Omni ids (nothing else is sold there)."""
    options = []
    for spec in catalog_models():
        omni_id = getattr(spec, "family", "") == "omni" and getattr(spec, "style", "") == "google"
        if protocol == "interactions" and not omni_id:
            continue
        name = str(getattr(spec, "name", "") or "")
        if not name:
            continue
        price = getattr(spec, "price_usd", None)
        label = f"{name} · ${price:.2f}/clip" if isinstance(price, int | float) else name
        rates = getattr(spec, "rates", ())
        if rates:  # Google's ids are priced by the second: show it from its cheapest resolution
            label = f"{name} · from ${rates[0][1]:.2f}/s"
        options.append((label, name))
    if default not in {name for _, name in options}:
        options.insert(0, (default, default))
    return options


def seconds_options(model: str, protocol: str) -> list[tuple[str, int]]:
    """Length choices the model offers on ``protocol`` (a fixed list if the catalog cannot say)."""
    try:
        from ..catalog import parse_model

        spec = parse_model(model)
        allowed, default = spec.allowed_seconds(protocol), spec.default_seconds
    except Exception:  # an unknown name: the relay decides; validation still runs on Generate
        return SECONDS
    return [(f"model default ({default} s)", DEFAULT), *((f"{s} s", s) for s in allowed)]


def offered(model: str, protocol: str) -> Any:
    """What the model takes on ``protocol`` (``catalog.ModelChoices``), or None for a name the catalog
    cannot read (the relay decides; every control stays)."""
    try:
        from ..catalog import choices_for, parse_model

        return choices_for(parse_model(model), protocol)
    except Exception:
        return None


def resolution_options(model: str, protocol: str) -> list[tuple[str, str]]:
    """Resolution choices: the model's default, then what the protocol can carry for it."""
    offer = offered(model, protocol)
    made = offer.resolutions if offer is not None else ()
    default = "4k" if made == ("4k",) else "720p"
    return [(f"model default ({default})", MODEL_RESOLUTION), *((r, r) for r in made)]


def _save_upload(item: Any, folder: Path) -> Path:
    """Save one ``FileUpload`` entry under ``folder`` by content hash; return its path."""
    data = bytes(item["content"])
    suffix = IMAGE_TYPES.get(str(item.get("type") or ""), "")
    if not suffix:
        suffix = Path(str(item.get("name") or "")).suffix.lower()
        if suffix not in (".png", ".jpg", ".jpeg", ".webp"):
            suffix = ".bin"  # the core sniffs the bytes and says what is wrong
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_whole(path, data)
    return path


class Form(widgets.VBox):
    """Prompt, model, orientation, fast, seconds, resolution, clips, images, negative prompt,
    price, Generate."""

    def __init__(self, session: Session | None = None) -> None:
        from .session import current_session

        self.session = session or current_session()
        self.jobs: list[Job] = []
        self.ended: list[Job] = []  # jobs whose final state is in the output below the form
        self._ended_html: list[str] = []  # each rendered once, when its job ends
        self._ended_text: list[str] = []
        self._ended_id = f"veo-form-{uuid.uuid4().hex}"  # that output's display id
        self._displayed = False
        self._lock = threading.Lock()
        self._images: dict[str, list[Path]] = {"first": [], "last": [], "ref": []}
        full = widgets.Layout(width="100%")
        self.prompt = widgets.Textarea(
            placeholder="Describe the clip: subject, action, setting, camera, light, sound…",
            rows=3,
            layout=full,
        )
        default_model = self._default_model()
        self.model = widgets.Dropdown(
            options=model_options(default_model, self._protocol()),
            value=default_model,
            description="Model",
        )
        self.orientation = widgets.ToggleButtons(
            options=[("Portrait", "portrait"), ("Landscape", "landscape")], value="portrait"
        )
        self.fast = widgets.Checkbox(value=False, description="Fast (quicker, cheaper)")
        self.seconds = widgets.Dropdown(
            options=seconds_options(default_model, self._protocol()),
            value=DEFAULT,
            description="Length",
        )
        self.resolution = widgets.Dropdown(
            options=resolution_options(default_model, self._protocol()),
            value=MODEL_RESOLUTION,
            description="Resolution",
        )
        self.n = widgets.BoundedIntText(value=1, min=1, max=4, description="Clips")
        accept = ",".join(IMAGE_TYPES)
        self.first_frame = widgets.FileUpload(accept=accept, description="First frame")
        self.last_frame = widgets.FileUpload(accept=accept, description="Last frame")
        self.references = widgets.FileUpload(
            accept=accept, multiple=True, description="References (≤3)"
        )
        self.clear_images = widgets.Button(description="Clear images")
        self.thumbnails = widgets.HBox()
        self.negative = widgets.Text(
            placeholder="What the clip should not contain", description="Avoid", layout=full
        )
        self.cost = widgets.HTML()
        self.problem = widgets.HTML()
        self.generate = widgets.Button(
            description="Generate", button_style="primary", icon="play", disabled=True
        )
        self.show_cell = widgets.Button(description="Show as %%veo", icon="code")
        self.cell_text = widgets.HTML()
        self.views = widgets.VBox()
        for control in (
            self.prompt,
            self.model,
            self.orientation,
            self.fast,
            self.seconds,
            self.resolution,
            self.n,
            self.first_frame,
            self.last_frame,
            self.negative,
        ):
            control.observe(self._changed, names="value")
        for upload in (self.first_frame, self.last_frame, self.references):
            upload.observe(self._uploads_changed, names="value")
        self.model.observe(self._model_changed, names="value")
        self.generate.on_click(self._on_generate)
        self.show_cell.on_click(self._on_show_cell)
        self.clear_images.on_click(self._on_clear_images)
        super().__init__(
            [
                self.prompt,
                widgets.HBox([self.model, self.orientation]),
                widgets.HBox([self.fast, self.seconds, self.resolution, self.n]),
                widgets.HBox(
                    [self.first_frame, self.last_frame, self.references, self.clear_images]
                ),
                self.thumbnails,
                self.negative,
                widgets.HBox([self.generate, self.show_cell, self.cost]),
                self.problem,
                self.cell_text,
                self.views,
            ]
        )
        self._follow_model(default_model)
        self._changed()

    def _default_model(self) -> str:
        try:
            return self.session.client.model
        except VeoError:
            return "veo-3.1"

    def _protocol(self) -> str:
        try:
            return self.session.client.protocol
        except VeoError:
            return "chat"

    def _model_changed(self, change: Any) -> None:
        options = seconds_options(change["new"], self._protocol())
        keep = self.seconds.value if self.seconds.value in {v for _, v in options} else DEFAULT
        self.seconds.options = options
        self.seconds.value = keep
        self._follow_model(change["new"])

    def _follow_model(self, model: str) -> None:
        """Offer the resolutions ``model`` makes here; hide what it refuses."""
        protocol = self._protocol()
        choices = resolution_options(model, protocol)
        keep = self.resolution.value if self.resolution.value in {v for _, v in choices} else ""
        self.resolution.options = choices
        self.resolution.value = keep
        offer = offered(model, protocol)
        if offer is not None and not offer.fast:
            self.fast.value = False
        shown = {
            self.resolution: len(choices) > 2,  # more than the default and the default again
            self.fast: offer is None or offer.fast,
            self.last_frame: offer is None or offer.last_frame,
            self.references: offer is None or offer.references,
            self.negative: offer is None or offer.negative_prompt,
            self.n: offer is None or offer.max_clips > 1,
        }
        if offer is not None and not offer.negative_prompt:
            self.negative.value = ""
        if offer is not None and offer.max_clips == 1:
            self.n.value = 1
        for control, visible in shown.items():
            control.layout.display = None if visible else "none"

    # -- input -> keywords ---------------------------------------------------------------------

    def options(self) -> dict[str, Any]:
        """The ``Client.submit`` keywords the form describes now (uploads saved as files)."""
        kwargs: dict[str, Any] = {"model": self.model.value}
        if self.orientation.value == "landscape":
            kwargs["orientation"] = "landscape"
        if self.fast.value:
            kwargs["fast"] = True
        if self.seconds.value != DEFAULT:
            kwargs["seconds"] = self.seconds.value
        if self.resolution.value != MODEL_RESOLUTION:
            kwargs["resolution"] = self.resolution.value
        if self.n.value != 1:
            kwargs["n"] = self.n.value
        first, last, refs = self._images["first"], self._images["last"], self._images["ref"]
        if first:
            kwargs["first_frame"] = str(first[0])
        if last:
            kwargs["last_frame"] = str(last[0])
        if refs:
            kwargs["references"] = tuple(str(p) for p in refs)
        if self.negative.value.strip():
            kwargs["negative_prompt"] = self.negative.value.strip()
        return kwargs

    def _changed(self, _change: object = None) -> None:
        """Validate with the core; show the price or the problem; enable Generate if valid."""
        prompt = self.prompt.value.strip()
        try:
            request = self.session.client.request(prompt or "-", **self.options())
        except VeoError as exc:
            self.problem.value = (
                f'<span style="color:var(--jp-error-color1,#c62828)">{html.escape(str(exc))}</span>'
            )
            self.cost.value = ""
            self.generate.disabled = True
            return
        except Exception as exc:  # the core is still growing: say so instead of breaking the form
            self.problem.value = html.escape(f"cannot validate yet: {type(exc).__name__}: {exc}")
            self.generate.disabled = True
            return
        self.problem.value = "" if prompt else "Type a prompt to start."
        sim = " (simulated: free)" if self.session.client.simulated else ""
        self.cost.value = f"≈ ${request.estimated_cost:.2f}{html.escape(sim)}"
        self.generate.disabled = not prompt

    def _uploads_changed(self, _change: object = None) -> None:
        """Save the uploads, show their thumbnails, validate again."""
        items = []
        try:
            folder = self.session.client.output_dir / "uploads"
            for label, upload in (
                ("first", self.first_frame),
                ("last", self.last_frame),
                ("ref", self.references),
            ):
                self._images[label] = [_save_upload(item, folder) for item in upload.value]
                for path in self._images[label]:
                    thumb = thumbnail_for(path)
                    image = widgets.Image(
                        value=(thumb or path).read_bytes(),
                        format="jpeg" if thumb else path.suffix.lstrip("."),
                        layout=widgets.Layout(max_width="96px", max_height="96px"),
                    )
                    items.append(widgets.VBox([image, widgets.Label(label)]))
        except (OSError, VeoError) as exc:
            self.problem.value = html.escape(f"cannot save the upload: {exc}")
        for old in self.thumbnails.children:
            old.close()
        self.thumbnails.children = items
        self._changed()

    # -- actions -------------------------------------------------------------------------------

    def _on_generate(self, _button: object) -> None:
        prompt = self.prompt.value.strip()
        try:
            job = self.session.client.submit(prompt, **self.options())
        except VeoError as exc:
            self.problem.value = (
                f'<span style="color:var(--jp-error-color1,#c62828)">{html.escape(str(exc))}</span>'
            )
            return
        self.jobs.append(job)
        view = JobView(job)
        self.views.children = (*self.views.children, view)
        view.when_final(self._job_ended)

    # -- the static output below the form ------------------------------------------------------

    def _ipython_display_(self) -> None:
        """The form, and below it the static output its finished jobs move to."""
        from IPython.display import display

        # The widget's own text/plain stays (its repr); text/html tells a static viewer what it was.
        display({**self._standin(), **self._repr_mimebundle_()}, raw=True)
        with self._lock:
            self._displayed = True
            bundle = self.ended_bundle()
        display(bundle, raw=True, display_id=self._ended_id)

    def _standin(self) -> dict[str, str]:
        text = "veo_magic generation form: a live widget, shown while its kernel runs"
        return {
            "text/plain": text,
            "text/html": f'<div style="opacity:.75">{html.escape(text)}</div>',
        }

    def ended_bundle(self) -> dict[str, str]:
        """The final state of every job the form finished, as static HTML and text."""
        if not self.ended:
            text = "Jobs generated with the form above show here once they end."
            return {"text/plain": text, "text/html": f'<div style="opacity:.75">{text}</div>'}
        return {"text/html": "".join(self._ended_html), "text/plain": "\n".join(self._ended_text)}

    def _job_ended(self, view: JobView) -> None:
        """Move the job from the live form to the static output (where the form is displayed)."""
        from IPython.display import update_display

        with self._lock:
            if not self._displayed or view.job is None:
                return  # the form lives inside another widget: its view stays
            self.ended.append(view.job)
            self._ended_html.append(final_html(view.job))
            self._ended_text.append(final_text(view.job))
            bundle = self.ended_bundle()
        update_display(bundle, raw=True, display_id=self._ended_id)
        self.views.children = tuple(v for v in self.views.children if v is not view)
        view.close_parts()

    def as_cell(self) -> str:
        """The ``%%veo`` cell that asks for what the form describes."""
        kwargs = self.options()
        parts = ["%%veo"]
        if kwargs.get("model") != self._default_model():
            parts += ["--model", kwargs["model"]]
        flags = {
            "orientation": lambda v: ["--landscape"],
            "fast": lambda v: ["--fast"],
            "seconds": lambda v: ["--seconds", str(v)],
            "resolution": lambda v: ["--resolution", v],
            "n": lambda v: ["--n", str(v)],
            "first_frame": lambda v: ["--image", v],
            "last_frame": lambda v: ["--last-frame", v],
            "references": lambda v: [x for ref in v for x in ("--reference", ref)],
            "negative_prompt": lambda v: ["--negative", v],
        }
        for name, render in flags.items():
            if name in kwargs:
                parts += render(kwargs[name])
        line = " ".join(shlex.quote(p) if i else p for i, p in enumerate(parts))
        body = self.prompt.value.strip().replace("{", "{{").replace("}", "}}")
        return f"{line}\n{body}"

    def _on_show_cell(self, _button: object) -> None:
        self.cell_text.value = (
            "<div>The same request as a cell (copy it into a new cell):</div>"
            f"<pre style='white-space:pre-wrap'>{html.escape(self.as_cell())}</pre>"
        )

    def _on_clear_images(self, _button: object) -> None:
        for upload in (self.first_frame, self.last_frame, self.references):
            upload.value = ()


def form() -> Form:
    """The generation form for this kernel's client; display it (last line of a cell)."""
    return Form()
