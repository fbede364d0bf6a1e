"""The form: inline validation by the core, price, Generate, uploads, "Show as %%veo"."""

import datetime
import io

from PIL import Image

from veo_magic.jobs.runner import started_jobs
from veo_magic.notebook.form_view import (
    Form,
    model_options,
    resolution_options,
    seconds_options,
)
from veo_magic.notebook.session import current_session

EVIL = "<img src=x onerror=alert(1)>"


def png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), color).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(data: bytes, name="frame.png"):
    return (
        {
            "name": name,
            "type": "image/png",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.timezone.utc),
        },
    )


def test_models_with_prices():
    options = model_options("veo-3.1")
    names = [name for _, name in options]
    assert "veo-3.1" in names and "veo-3.1-fast" in names
    assert any("$0.25" in label for label, _ in options)
    assert model_options("my-relay-model")[0] == ("my-relay-model", "my-relay-model")


def test_seconds_follow_the_model_and_protocol():
    assert [v for _, v in seconds_options("veo-3.1", "videos")] == [0, 4, 6, 8]
    assert [v for _, v in seconds_options("veo-3.1", "chat")] == [0, 8]
    form = Form()
    assert form.seconds.label == "model default (8 s)" and "seconds" not in form.options()
    form.seconds.value = 8
    form.model.value = "veo-3.1-fast"
    assert form.seconds.value == 8


def shown(control) -> bool:
    return control.layout.display != "none"


def test_options_the_model_refuses_are_hidden_and_come_back():
    form = Form()  # the simulated client speaks chat
    form.prompt.value = "a red fox"
    # veo-3.1 on chat: frames yes, references no (chat sends none), nothing to choose in resolution
    assert shown(form.fast) and shown(form.last_frame)
    assert not shown(form.references) and not shown(form.resolution)
    form.model.value = "veo_3_1"  # a spelling with a 4K name: resolution appears
    assert shown(form.resolution) and [v for _, v in form.resolution.options] == ["", "720p", "4k"]
    form.resolution.value = "4k"
    assert "--resolution 4k" in form.as_cell() and not form.generate.disabled
    form.fast.value = True
    form.model.value = "veo-3.1-landscape"  # a fixed name: no fast variant, no last frame
    assert not shown(form.fast) and not form.fast.value and not shown(form.last_frame)
    assert not shown(form.resolution) and form.resolution.value == ""  # 4k is not on offer
    assert not form.generate.disabled, form.problem.value
    form.model.value = "veo-3.1"
    assert shown(form.fast) and shown(form.last_frame)


def test_on_gemini_the_form_offers_googles_resolutions(monkeypatch):
    monkeypatch.setenv("VEO_PROTOCOL", "gemini")
    form = Form()
    form.prompt.value = "a lighthouse at dusk"
    assert [v for _, v in form.resolution.options] == ["", "720p", "1080p", "4k"]
    assert shown(form.references) and shown(form.fast)
    form.resolution.value = "1080p"
    assert "$3.20" in form.cost.value  # 8 s (chosen for 1080p) x $0.40
    form.model.value = "veo-3.1-lite-generate-preview"
    assert [v for _, v in form.resolution.options] == ["", "720p", "1080p"]
    assert form.resolution.value == "1080p" and "$0.64" in form.cost.value
    assert not shown(form.references) and not shown(form.fast) and shown(form.last_frame)
    form.model.value = "veo-3.1-fast-generate-preview"
    assert shown(form.references) and "4k" in [v for _, v in form.resolution.options]


def test_resolution_choices_follow_the_model_and_protocol():
    assert resolution_options("veo-3.1", "chat") == [("model default (720p)", ""), ("720p", "720p")]
    assert resolution_options("veo_3_1-4K", "videos")[0] == ("model default (4k)", "")
    assert [v for _, v in resolution_options("my-relay-model", "videos")] == [""]


def test_generate_is_disabled_until_valid_and_price_shows():
    form = Form()
    assert form.generate.disabled and "Type a prompt" in form.problem.value
    form.prompt.value = "a red fox in snow"
    assert not form.generate.disabled
    assert "$0.25" in form.cost.value and "simulated" in form.cost.value
    form.fast.value = True
    assert "$0.15" in form.cost.value
    form.n.value = 2
    assert "$0.30" in form.cost.value


def test_inline_error_from_the_core():
    form = Form()
    form.prompt.value = "a fox"
    form.last_frame.value = upload(png())  # a last frame without a first frame
    assert form.generate.disabled
    assert "first" in form.problem.value.lower()
    form.first_frame.value = upload(png((0, 0, 200)))
    assert not form.generate.disabled, form.problem.value
    assert len(form.thumbnails.children) == 2
    saved = sorted((current_session().client.output_dir / "uploads").glob("*.png"))
    assert len(saved) == 2
    form.clear_images.click()
    assert form.thumbnails.children == () and not form.generate.disabled


def test_show_as_cell_escapes_braces_and_refers_to_saved_uploads():
    form = Form()
    form.prompt.value = "a {curly} fox"
    form.orientation.value = "landscape"
    form.fast.value = True
    form.negative.value = "blurry, text"
    form.first_frame.value = upload(png())
    text = form.as_cell()
    line, body = text.split("\n", 1)
    assert line.startswith("%%veo --landscape --fast --image veo_outputs/uploads/")
    assert "--negative 'blurry, text'" in line
    assert body == "a {{curly}} fox"
    form.show_cell.click()
    assert "%%veo --landscape" in form.cell_text.value


def test_show_as_cell_runs_as_the_same_request(ip):
    form = Form()
    form.prompt.value = "a {curly} fox"
    form.orientation.value = "landscape"
    form.seconds.value = 8
    line, body = form.as_cell().split("\n", 1)
    ip.run_cell_magic("veo", line.removeprefix("%%veo ") + " --out same", body)
    job = ip.user_ns["same"]
    assert job.prompt == "a {curly} fox" and job.record["orientation"] == "landscape"


def test_generate_adds_a_view_and_stays_ready():
    form = Form()
    form.prompt.value = EVIL
    form.generate.click()
    form.generate.click()
    assert len(form.views.children) == 2 and len(form.jobs) == 2
    assert not form.generate.disabled and form.prompt.value == EVIL
    for view in form.views.children:
        assert "<img" not in view.header.value and "&lt;img" in view.header.value
    assert started_jobs()[-2:] == form.jobs
    for job in form.jobs:
        job.cancel()


def test_a_finished_job_moves_to_the_static_output_below_the_form(monkeypatch):
    import IPython.display

    shown, updates = [], []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    monkeypatch.setattr(IPython.display, "update_display", lambda *a, **k: updates.append((a, k)))
    form = Form()
    form._ipython_display_()
    (live, _), (below, how) = shown
    assert "application/vnd.jupyter.widget-view+json" in live[0]  # the form itself
    assert "Form(children=" in live[0]["text/plain"] and "live widget" in live[0]["text/html"]
    assert "show here once they end" in below[0]["text/plain"]  # never an empty output
    form.prompt.value = f"{EVIL} a fox"
    form.generate.click()
    (view,) = form.views.children
    form.jobs[-1].wait(timeout=30)
    assert form.views.children == () and view.comm is None  # moved: closed, out of the form
    assert form.ended == form.jobs
    (bundle,), kwargs = updates[-1]
    assert kwargs["display_id"] == how["display_id"] and kwargs["raw"]
    assert 'data-status="succeeded"' in bundle["text/html"] and "<video" in bundle["text/html"]
    assert "&lt;img src=x" in bundle["text/html"] and EVIL not in bundle["text/html"]
    assert "succeeded, 100%" in bundle["text/plain"]


def test_a_form_inside_another_widget_keeps_its_views():
    form = Form()  # never displayed by itself: no output below it to move jobs to
    form.prompt.value = "a fox"
    form.generate.click()
    form.jobs[-1].wait(timeout=30)
    assert len(form.views.children) == 1 and form.ended == []


def test_no_password_or_key_in_form_state(monkeypatch):
    key = "sk-form-secret-0123456789"
    monkeypatch.setenv("VEO_API_KEY", key)
    monkeypatch.setenv("VEO_BASE_URL", "https://relay.example/v1")
    form = Form()
    form.prompt.value = "a fox"
    for widget in _walk(form):
        state = str(widget.get_state())
        assert key not in state
        assert type(widget).__name__ != "Password"


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_validation_on_each_keystroke_does_no_io(monkeypatch):
    """Typing validates and prices with the core alone: no request, no process, no simulator.
    (Its speed is a figure in benchmarks/, not a timed test.)"""
    import subprocess

    import httpx

    import veo_magic.simulator.server

    form = Form()

    def forbidden(*args, **kwargs):
        raise AssertionError("I/O while typing")

    monkeypatch.setattr(httpx.AsyncClient, "send", forbidden)
    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.setattr(veo_magic.simulator.server, "shared_simulator", forbidden)
    for i in range(50):
        form.prompt.value = f"a fox {i}"
        assert not form.generate.disabled and "$" in form.cost.value


def test_form_function_survives_the_form_module_import():
    """`%veo form` imports the form module; `veo_magic.form` must stay the function after it."""
    import veo_magic
    import veo_magic.notebook.form_view  # what `%veo form` imports

    assert callable(veo_magic.form) and callable(veo_magic.notebook.form)
    assert isinstance(veo_magic.form(), Form)


def test_google_ids_are_labelled_per_second():
    labels = dict((name, label) for label, name in model_options("veo-3.1"))
    assert labels["veo-3.1-lite-generate-preview"].endswith("from $0.05/s")
    assert labels["veo-3.1"].endswith("$0.25/clip")
