"""%%veo and %veo in IPython's test shell (no kernel): parsing, interpolation, every error path."""

from __future__ import annotations

import getpass
import re
import time

import pytest
from IPython.core.error import UsageError

from veo_magic.jobs.runner import started_jobs
from veo_magic.notebook.magics import VeoCellError
from veo_magic.notebook.session import current_session

KEY = "sk-notebook-secret-0123456789"


def cell(ip, line, body):
    return ip.run_cell_magic("veo", line, body)


def last_job():
    return started_jobs()[-1]


# -- documentation and parsing ------------------------------------------------------------------


def test_help_documents_every_option(ip):
    doc = ip.find_cell_magic("veo").__doc__
    for flag in (
        "--model",
        "--landscape",
        "--portrait",
        "--fast",
        "--image",
        "--last-frame",
        "--reference",
        "--seconds",
        "--size",
        "--n",
        "--negative",
        "--seed",
        "--protocol",
        "--wait",
        "--embed",
        "--out",
        "--vary",
        "--concurrency",
    ):
        assert flag in doc, flag
    line_doc = ip.find_line_magic("veo").__doc__
    for sub in ("form", "jobs", "resume", "cancel", "models", "login", "config", "budget"):
        assert sub in line_doc


def test_unknown_option_gets_usage(ip):
    with pytest.raises(UsageError, match=r"(?s)unrecognized arguments: --colour.*usage: %%veo"):
        cell(ip, "--colour red", "a fox")


def test_option_missing_its_value(ip):
    with pytest.raises(UsageError, match="expected one argument"):
        cell(ip, "--model", "a fox")


def test_empty_body(ip):
    with pytest.raises(UsageError, match="prompt, and it is empty"):
        cell(ip, "", "   \n ")


def test_bad_out_name(ip):
    with pytest.raises(UsageError, match="not a Python variable name"):
        cell(ip, "--out 2fast", "a fox")
    with pytest.raises(UsageError, match="not a Python variable name"):
        cell(ip, "--out class", "a fox")


def test_unknown_name_in_prompt(ip):
    ip.user_ns.pop("animal", None)
    with pytest.raises(UsageError, match=r"\{animal\}.*no variable 'animal'"):
        cell(ip, "", "a {animal} in snow")
    assert current_session().client.jobs() == []  # nothing recorded, nothing sent


def test_core_validation_errors_are_one_line(ip):
    with pytest.raises(UsageError) as info:
        cell(ip, "--n 9", "a fox")
    assert "\n" not in str(info.value) and "n" in str(info.value)
    with pytest.raises(UsageError):
        cell(ip, "--protocol carrier-pigeon", "a fox")
    with pytest.raises(UsageError):
        cell(ip, "--seconds 99 --protocol videos", "a fox")
    with pytest.raises(UsageError):
        cell(ip, "--last-frame end.png", "a fox")  # a last frame needs a first frame
    assert current_session().client.jobs() == []  # nothing recorded, nothing sent


def test_interpolation_and_options_reach_the_job(ip, capsys):
    ip.user_ns["animal"] = "red fox"
    cell(ip, "--landscape --fast --seconds 8 --out myjob", "a {animal} in {{snow}}")
    job = ip.user_ns["myjob"]
    assert job is last_job()
    assert job.prompt == "a red fox in {snow}"
    assert job.record["orientation"] == "landscape" and job.record["fast"] is True
    assert job.simulated


def test_budget_error_is_a_usage_error(ip):
    ip.run_line_magic("veo", "budget 0.01")
    with pytest.raises(UsageError, match="budget") as info:
        cell(ip, "", "a fox")
    # The core says what happened; the notebook adds how to act here, once.
    assert str(info.value).startswith("budget $0.01 would be passed: ")
    assert str(info.value).count("`%veo budget N`") == 1


@pytest.mark.parametrize(
    ("env", "line", "said", "how"),
    [
        (
            {},
            "config base_url=https://relay.example/v1",
            "api_key (VEO_API_KEY) is not set, but base URL https://relay.example is",
            "run `%veo login`",
        ),
        (
            {"VEO_API_KEY": KEY},
            "config protocol=videos",
            "base_url (VEO_BASE_URL) is not set, but an API key is",
            "`%veo login URL` or `%veo config base_url=URL`",
        ),
        (
            {"VEO_BUDGET_USD": "lots"},
            "budget",
            "VEO_BUDGET_USD='lots' is not a number",
            "`%veo budget N`",
        ),
    ],
)
def test_configuration_errors_say_how_to_act_in_the_notebook(ip, monkeypatch, env, line, said, how):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("veo", line)
    message = str(info.value)
    assert said in message and message.count(how) == 1, message
    assert KEY not in message and "veo-magic" not in message and "set VEO_" not in message


def test_one_clip_protocols_point_at_vary(ip):
    with pytest.raises(UsageError) as info:
        cell(ip, "--protocol videos --n 2", "a fox")
    message = str(info.value)
    assert "protocol='chat' (up to 4 clips" in message
    assert message.count("`%%veo --vary` fans one prompt out") == 1


def test_cell_returns_at_once(ip):
    import time

    start = time.monotonic()
    cell(ip, "", "a quick fox")
    assert time.monotonic() - start < 2
    assert not last_job().done() or last_job().status != "queued"


# -- with the embedded simulator ----------------------------------------------------------------


def test_wait_runs_to_the_end_and_shows_the_clip(ip, capsys):
    ip.user_ns["animal"] = "fox"
    cell(ip, "--landscape --wait --out job", "a {animal} in snow")
    job = ip.user_ns["job"]
    assert job.status == "succeeded" and job.progress == 100
    assert job.videos and job.videos[0].exists()
    assert job.videos[0].with_suffix(".jpg").exists()  # the poster


def test_wait_on_a_refused_prompt_is_one_line(ip):
    with pytest.raises(VeoCellError, match="failed") as info:
        cell(ip, "--wait --protocol videos", "a fox [[sim:refuse]]")
    lines = info.value._render_traceback_()
    assert len(lines) == 1
    assert last_job().status == "failed"


def test_fire_and_forget_then_await(ip):
    cell(ip, "--out j", "a fox")
    job = ip.user_ns["j"]
    job.wait(timeout=30)
    assert job.status == "succeeded"


def test_vary_fans_out_with_total_cost(ip, capsys):
    cell(
        ip,
        "--vary style=watercolor,noir,claymation --vary fast=yes,no --out g",
        "a lighthouse, {style}",
    )
    gallery = ip.user_ns["g"]
    assert len(gallery.variants) == 6
    out = capsys.readouterr().out
    assert "6 jobs" in out and f"${gallery.estimated_cost:.2f}" in out
    prompts = {v.prompt for v in gallery.variants}
    assert prompts == {"a lighthouse, watercolor", "a lighthouse, noir", "a lighthouse, claymation"}
    assert {v.options["fast"] for v in gallery.variants} == {True, False}
    # fast ones are cheaper than standard ones
    costs = {v.options["fast"]: v.estimated_cost for v in gallery.variants}
    assert costs[True] < costs[False]
    # all six are recorded at once; the client's scheduler runs at most 4 at a time
    assert len(gallery.jobs) == 6
    busiest = 0
    while not gallery.done():
        running = sum(j.started_at is not None and not j.done() for j in gallery.jobs)
        assert running <= 4
        busiest = max(busiest, running)
        time.sleep(0.01)
    assert busiest == 4
    assert all(j.status == "succeeded" for j in gallery.jobs)


def test_vary_errors(ip):
    with pytest.raises(UsageError, match="no \\{colour\\}"):
        cell(ip, "--vary colour=red,blue", "a fox")
    with pytest.raises(UsageError, match="KEY=value1"):
        cell(ip, "--vary style", "a {style} fox")
    with pytest.raises(UsageError, match="twice"):
        cell(ip, "--vary style=a --vary style=b", "a {style} fox")
    with pytest.raises(UsageError, match="none empty"):
        cell(ip, "--vary style=a,,b", "a {style} fox")
    with pytest.raises(UsageError, match="concurrency"):
        cell(ip, "--vary style=a,b --concurrency 0", "a {style} fox")
    ip.run_line_magic("veo", "budget 0.2")
    with pytest.raises(UsageError, match="budget"):
        cell(ip, "--vary style=a,b", "a {style} fox")
    assert current_session().client.jobs() == []  # nothing recorded, nothing sent


def test_vary_over_options_only(ip):
    cell(ip, "--vary seconds=4,8 --protocol videos --out g", "a fox")
    gallery = ip.user_ns["g"]
    assert [v.options["seconds"] for v in gallery.variants] == ["4", "8"]
    assert [v.label for v in gallery.variants] == ["seconds=4", "seconds=8"]
    gallery.cancel()


def test_vary_with_wait(ip):
    cell(ip, "--vary style=ink,oil --wait --concurrency 1 --out g", "a fox, {style}")
    gallery = ip.user_ns["g"]
    assert gallery.done()
    assert [j.status for j in gallery.jobs] == ["succeeded", "succeeded"]


# -- %veo subcommands -----------------------------------------------------------------------------


def test_no_subcommand_prints_help(ip, capsys):
    ip.run_line_magic("veo", "")
    out = capsys.readouterr().out
    assert "%veo jobs" in out and "%veo login" in out


def test_unknown_subcommand_lists_them(ip):
    with pytest.raises(UsageError, match=r"(?s)unknown subcommand 'fly'.*%veo form.*%veo budget"):
        ip.run_line_magic("veo", "fly away")


def test_config_shows_everything_but_the_key(ip, capsys, monkeypatch):
    ip.run_line_magic("veo", "config")
    out = capsys.readouterr().out
    assert "built-in simulator" in out and "protocol:" in out and "chat" in out
    assert "key:" in out and "not set" in out and "yes" in out
    assert "veo_outputs" in out and "budget:" in out
    monkeypatch.setenv("VEO_API_KEY", KEY)
    monkeypatch.setenv("VEO_BASE_URL", "https://relay.example/v1")
    current_session().configure()  # settings changed underneath: make the client again
    ip.run_line_magic("veo", "config")
    out = capsys.readouterr().out
    assert KEY not in out and "*** (from VEO_API_KEY)" in out and "https://relay.example" in out
    assert "simulated:  no" in out


def test_config_changes_settings(ip, capsys):
    ip.run_line_magic("veo", "config protocol=videos model=veo-3.1-fast output_dir=clips")
    out = capsys.readouterr().out
    assert "videos" in out and "veo-3.1-fast" in out and "clips" in out
    client = current_session().client
    assert client.protocol == "videos" and str(client.output_dir) == "clips"
    with pytest.raises(UsageError, match="KEY one of"):
        ip.run_line_magic("veo", "config colour=red")
    with pytest.raises(UsageError, match="protocol"):
        ip.run_line_magic("veo", "config protocol=pigeon")
    assert current_session().client.protocol == "videos"  # a bad change leaves the old settings


def test_budget(ip, capsys):
    ip.run_line_magic("veo", "budget")
    assert "no budget set" in capsys.readouterr().out
    ip.run_line_magic("veo", "budget 5")
    assert "budget $5.00" in capsys.readouterr().out
    assert current_session().client.budget_usd == 5.0
    ip.run_line_magic("veo", "config protocol=videos")  # survives a new client
    assert current_session().client.budget_usd == 5.0
    ip.run_line_magic("veo", "budget off")
    assert current_session().client.budget_usd is None
    for bad in ("lots", "-1", "1 2", "inf"):
        with pytest.raises(UsageError):
            ip.run_line_magic("veo", f"budget {bad}")
    with pytest.raises(UsageError, match=r"budget_usd='lots' is not a number; allowed: US dollars"):
        ip.run_line_magic("veo", "budget lots")


def test_models(ip, capsys):
    ip.run_line_magic("veo", "models")
    out = capsys.readouterr().out
    assert "veo-3.1" in out and "$" in out
    with pytest.raises(UsageError):
        ip.run_line_magic("veo", "models extra")


def test_login_keeps_the_key_out_of_everything(ip, capsys, monkeypatch):
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": KEY)
    ip.run_line_magic("veo", "login https://relay.example/v1")
    out = capsys.readouterr().out
    assert "logged in" in out and KEY not in out
    client = current_session().client
    assert not client.simulated and KEY not in repr(client)
    assert all(KEY not in repr(v) for v in ip.user_ns.values() if not callable(v))
    ip.run_line_magic("veo", "config")
    out = capsys.readouterr().out
    assert KEY not in out and "%veo login" in out
    ip.run_line_magic("veo", "logout")
    assert current_session().client.simulated


def test_login_errors(ip, monkeypatch):
    with pytest.raises(UsageError, match="which relay"):
        ip.run_line_magic("veo", "login")
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "  ")
    with pytest.raises(UsageError, match="no key entered"):
        ip.run_line_magic("veo", "login https://relay.example/v1")
    assert current_session().client.simulated
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": KEY)
    with pytest.raises(UsageError, match="base_url"):
        ip.run_line_magic("veo", "login ftp://relay.example")
    with pytest.raises(UsageError, match="usage"):
        ip.run_line_magic("veo", "login a b")


def test_jobs_table(ip):
    table = ip.run_line_magic("veo", "jobs")
    assert "No jobs recorded" in table._repr_html_()
    ip.user_ns["animal"] = "<b>fox</b>"
    cell(ip, "", "a {animal}")
    table = ip.run_line_magic("veo", "jobs --limit 5")
    page = table._repr_html_()
    assert "&lt;b&gt;fox&lt;/b&gt;" in page and "<b>fox" not in page
    assert f"%veo cancel {last_job().id}" in page
    assert "Spend so far" in page and "simulated" in page
    assert last_job().id in str(table)
    with pytest.raises(UsageError):
        ip.run_line_magic("veo", "jobs --limit many")


def test_cancel(ip, capsys):
    with pytest.raises(UsageError, match="no job 'nope'"):
        ip.run_line_magic("veo", "cancel nope")
    with pytest.raises(UsageError, match="usage"):
        ip.run_line_magic("veo", "cancel")
    cell(ip, "", "a stuck fox [[sim:stuck]]")
    job = last_job()
    ip.run_line_magic("veo", f"cancel {job.id}")
    assert "cancelled job" in capsys.readouterr().out
    job._done.wait(5)
    assert job.status == "cancelled"
    ip.run_line_magic("veo", f"cancel {job.id}")
    assert "already ended" in capsys.readouterr().out
    # stuck (they never end by themselves), so that a loaded machine cannot finish them first
    cell(ip, "", "fox one [[sim:stuck]]")
    cell(ip, "", "fox two [[sim:stuck]]")
    ip.run_line_magic("veo", "cancel all")
    said = capsys.readouterr().out
    both = started_jobs()[-2:]
    # every job still running in this process, so at least these two (another test's may be too)
    assert re.search(r"cancelled \d+ job\(s\)", said) and all(job.id in said for job in both)
    for job in both:  # ended here, so their final outputs print inside the test
        assert job._done.wait(5) and job.status == "cancelled"


def test_resume(ip):
    cell(ip, "--wait --protocol videos --out j", "a fox")
    task = ip.user_ns["j"].task_id
    assert task
    ip.run_line_magic("veo", f"resume {task} --wait --out again")
    again = ip.user_ns["again"]
    assert again.task_id == task and again.status == "succeeded"


def test_resume_errors(ip):
    with pytest.raises(UsageError, match="arguments are required"):
        ip.run_line_magic("veo", "resume")
    with pytest.raises(UsageError, match="not a Python variable name"):
        ip.run_line_magic("veo", "resume abc --out 1x")


def test_form_subcommand(ip, capsys):
    ip.run_line_magic("veo", "form")
    assert "Form(children=" in capsys.readouterr().out  # the widget, shown as text without a kernel
    with pytest.raises(UsageError, match="no arguments"):
        ip.run_line_magic("veo", "form now")


def test_export_the_notebook_in_use(ip, capsys, monkeypatch, tmp_path):
    import nbformat

    from tests.support import code_notebook

    cell(ip, "--wait --out j", "a fox")
    nb = code_notebook(["%%veo --wait\na fox"])
    clip = ip.user_ns["j"].videos[0]
    nb.cells[0].outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": f'<video src="{clip}"></video>'})
    ]
    nbformat.write(nb, tmp_path / "lesson.ipynb")
    with pytest.raises(UsageError, match="which notebook"):
        ip.run_line_magic("veo", "export")  # this shell does not know its notebook
    # what ipykernel sets from JPY_SESSION_NAME in a kernel Jupyter's server started
    monkeypatch.setitem(ip.user_ns, "__session__", str(tmp_path / "lesson.ipynb"))
    capsys.readouterr()
    ip.run_line_magic("veo", "export")
    out = capsys.readouterr().out
    assert "as last saved" in out and "1 clip(s) embedded" in out
    assert "data:video/mp4;base64," in (tmp_path / "lesson.html").read_text()
    ip.run_line_magic("veo", "export lesson.ipynb --zip -o shared.zip")
    assert (tmp_path / "shared.zip").is_file()
    with pytest.raises(UsageError, match="is not a file"):
        ip.run_line_magic("veo", "export missing.ipynb")


def test_unload_and_reload(ip):
    ip.run_line_magic("unload_ext", "veo_magic")
    assert ip.find_cell_magic("veo") is None and ip.find_line_magic("veo") is None
    ip.run_line_magic("load_ext", "veo_magic")
    assert ip.find_cell_magic("veo") is not None


def test_stop_button_stops_waiting_not_the_job(ip, monkeypatch):
    from veo_magic.jobs.job import Job

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(Job, "wait", interrupted)
    with pytest.raises(VeoCellError, match=r"stopped waiting.*keeps running.*%veo cancel"):
        cell(ip, "--wait", "a patient fox")
    job = last_job()
    assert job._done.wait(30) and job.status == "succeeded"  # it went on without the cell


def test_load_ext_is_cheap():
    import subprocess
    import sys

    code = (
        "import sys, time\n"
        "from IPython.testing.globalipapp import get_ipython\n"
        "ip = get_ipython()\n"
        "start = time.perf_counter()\n"
        "ip.run_line_magic('load_ext', 'veo_magic')\n"
        "elapsed = time.perf_counter() - start\n"
        "heavy = [m for m in ('ipywidgets', 'httpx', 'veo_magic.client.client', 'google.auth')\n"
        "         if m in sys.modules]\n"
        "print(elapsed, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, heavy = out.stdout.split(" ", 1)
    assert heavy.strip() == "[]"
    assert float(elapsed) < 0.5  # measured: ~9 ms


def test_quoted_option_values_keep_their_spaces(tmp_path):
    """Shell-style quotes: a --vary value or an image path may contain spaces."""
    from IPython.testing.globalipapp import get_ipython

    from veo_magic.notebook.magics import VeoMagics

    ip = get_ipython()
    magics = VeoMagics(shell=ip)
    args = magics._parse(
        magics.veo_cell, '--vary "move=slow dolly in,aerial orbit" --image "my photo.png"'
    )
    assert args.vary == ["move=slow dolly in,aerial orbit"]
    assert args.first_frame == "my photo.png"


def test_veo_check_shows_the_route_report_as_html_and_text(ip, monkeypatch):
    import IPython.display

    shown: list[dict] = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw=False: shown.append(bundle))
    ip.run_line_magic("veo", "check")
    (bundle,) = shown
    assert bundle["text/plain"].startswith("veo_magic check: protocol chat at http://127.0.0.1:")
    assert "ready: this route can make a video (veo-3.1)" in bundle["text/plain"]
    assert bundle["text/html"].startswith("<div class='veo-check'>")
    assert "the built-in simulator" in bundle["text/html"]
    with pytest.raises(UsageError):
        ip.run_line_magic("veo", "check extra")


# -- versions of a clip (issue 19) ---------------------------------------------------------------


def test_edit_and_extend_cells_make_versions(ip, capsys, monkeypatch):
    from IPython.core import display_functions

    monkeypatch.setenv("VEO_PROTOCOL", "interactions")
    cell(ip, "--wait --seconds 3 --resolution 360p --out first", "a lighthouse at dusk")
    first = ip.user_ns["first"]
    assert first.status == "succeeded" and first.protocol == "interactions" and first.simulated
    updates: list[str] = []
    monkeypatch.setattr(
        display_functions, "update_display", lambda data, **_: updates.append(data["text/html"])
    )
    cell(ip, "--edit --wait --out night", "make it night; keep everything else the same")
    night = ip.user_ns["night"]
    assert night.parent is first and night.status == "succeeded"
    # the edit's own view ends with the strip: both versions' posters, this one beside its parent
    final = updates[-1]
    assert 'class="veo-versions veo-strip"' in final and final.count('class="veo-version"') == 2
    assert f'data-job="{first.id}"' in final and "data:image/" in final
    assert "this version beside its parent" in final
    assert f"edit of {first.id}" in capsys.readouterr().out
    cell(ip, f"--edit {first.id} --wait --out autumn", "make it autumn")  # a branch
    autumn = ip.user_ns["autumn"]
    assert autumn.parent_id == first.id
    cell(ip, "--extend night --seconds 4 --wait --out longer", "the beam sweeps the sea")
    longer = ip.user_ns["longer"]
    assert longer.parent_id == night.id and longer.record["lineage"]["total_seconds"] == 7
    view = ip.run_line_magic("veo", f"versions {longer.id}")
    page = view._repr_html_()
    assert page.count('class="veo-version"') == 4 and "make it autumn" in page
    assert f"%%veo --edit {autumn.id}" in page and "Compare" in page
    assert "4 version(s)" in repr(view)
    panel = ip.run_line_magic("veo", f"versions {longer.id} --live")  # the panel
    assert "4 version(s)" in repr(panel) and panel.tree_html.count('class="veo-version"') == 4
    assert (panel.left.value, panel.right.value) == (night.id, longer.id)  # newest, its parent
    with pytest.raises(UsageError, match="cell body says what to change"):
        cell(ip, "--edit", "  ")
    with pytest.raises(UsageError, match="no job 'nope'"):
        cell(ip, "--edit nope", "make it night")


def test_an_edit_cell_on_a_veo_route_is_refused_naming_interactions(ip):
    cell(ip, "--wait", "a lighthouse at dusk")  # the simulator's default protocol: a relay
    with pytest.raises(UsageError, match="interactions"):
        cell(ip, "--edit", "make it night")
    with pytest.raises(UsageError, match="no finished clip"):
        from veo_magic.notebook import session

        session.current_session()._shown.clear()
        cell(ip, "--edit", "make it night")


def test_the_versions_panel_compares_any_two_and_edits_from_any(ip, monkeypatch):
    monkeypatch.setenv("VEO_PROTOCOL", "interactions")
    cell(ip, "--wait --seconds 3 --resolution 360p --out first", "a lighthouse at dusk")
    cell(ip, "--edit --wait --out night", "make it night")
    first, night = ip.user_ns["first"], ip.user_ns["night"]
    panel = ip.run_line_magic("veo", "versions night --live")
    assert [value for _, value in panel.left.options] == [first.id, night.id]
    panel.left.value, panel.right.value = night.id, first.id  # any two, either way round
    assert panel.compare_html.count("<video") == 2
    assert panel.compare_html.index(night.id) < panel.compare_html.index(first.id)
    panel.base.value = first.id
    panel.edit_button.click()  # nothing said: refused in words, nothing started
    assert "Say what changes first" in panel.problem.value and panel.jobs == []
    panel.prompt.value = "make it <b>autumn</b>"
    panel.edit_button.click()
    (autumn,) = panel.jobs
    assert autumn.parent_id == first.id and panel.problem.value == ""
    assert len(panel.views.children) == 1  # its view while it renders
    autumn.wait(timeout=60)
    assert autumn._done.wait(5)
    assert panel.views.children == ()  # it ended: it joined the tree
    assert panel.tree_html.count('class="veo-version"') == 3
    assert "&lt;b&gt;autumn&lt;/b&gt;" in panel.tree_html and "<b>autumn" not in panel.tree_html
    assert (panel.left.value, panel.right.value) == (first.id, autumn.id)  # beside its parent
    panel.base.value = night.id
    panel.extend_button.click()
    (_, longer) = panel.jobs
    assert longer.wait(timeout=60).parent_id == night.id and longer.step == "extend"
