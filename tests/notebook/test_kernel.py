"""With a real ipykernel: views keep updating after the cell is idle, --wait does not eat queued
cells, background failures reach the view, and saved notebooks stay small and key-free."""

from __future__ import annotations

import base64
import os
import queue
import re
import sys
import time
from pathlib import Path

import pytest

from tests.support import code_notebook

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

KEY = "sk-kernel-secret-0123456789abcdef"


def kernel_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEO_", "VSCODE_"))}
    env.update({"VEO_SIM_SECONDS": "0.5", "PYTHONUNBUFFERED": "1", **extra})
    return env


@pytest.fixture
def start_kernel(tmp_path):
    from jupyter_client.manager import start_new_kernel

    started = []

    def start(**env: str):
        km, kc = start_new_kernel(
            kernel_name="python3", cwd=str(tmp_path), env=kernel_env(**env), startup_timeout=60
        )
        started.append((km, kc))
        return kc

    yield start
    for km, kc in started:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code: str, timeout: float = 60) -> dict:
    """Execute ``code`` and return its reply (raising if it failed)."""
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply


def iopub(kc, timeout: float) -> list[dict]:
    """Every iopub message until ``timeout`` seconds pass without one."""
    messages = []
    while True:
        try:
            messages.append(kc.get_iopub_msg(timeout=timeout))
        except queue.Empty:
            return messages


def iopub_until(kc, predicate, timeout: float) -> list[dict]:
    """iopub messages until one satisfies ``predicate`` (or the time is up)."""
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            continue
        messages.append(msg)
        if predicate(msg):
            break
    return messages


def models(messages, name: str) -> set[str]:
    """Comm ids of widgets of model ``name`` opened in ``messages``."""
    return {
        m["content"]["comm_id"]
        for m in messages
        if m["msg_type"] == "comm_open" and m["content"]["data"]["state"].get("_model_name") == name
    }


def updates(messages, comm_ids: set[str]) -> list[dict]:
    return [
        m["content"]["data"]["state"]
        for m in messages
        if m["msg_type"] == "comm_msg"
        and m["content"]["comm_id"] in comm_ids
        and m["content"]["data"].get("method") == "update"
    ]


def test_fire_and_forget_view_updates_after_the_cell_is_idle(start_kernel):
    kc = start_kernel()
    run(kc, "%load_ext veo_magic")
    iopub(kc, 0.2)
    msg_id = kc.execute("%%veo --landscape\na red fox in fresh snow")
    messages = iopub_until(
        kc,
        lambda m: (
            m["parent_header"].get("msg_id") == msg_id
            and m["msg_type"] == "status"
            and m["content"]["execution_state"] == "idle"
        ),
        30,
    )
    assert kc.get_shell_msg(timeout=10)["content"]["status"] == "ok"
    bars = models(messages, "IntProgressModel")
    assert len(bars) == 1
    later = iopub_until(kc, lambda m: any(s.get("value") == 100 for s in updates([m], bars)), 60)
    values = [s["value"] for s in updates(later, bars) if "value" in s]
    assert values and values[-1] == 100, values  # updates kept coming after the cell went idle
    assert values == sorted(values)
    later += iopub(kc, 1.0)
    styles = [s["bar_style"] for s in updates(later, bars) if "bar_style" in s]
    assert styles[-1] == "success"
    clip = [
        m
        for m in later
        if m["msg_type"] == "update_display_data" and "<video" in m["content"]["data"]["text/html"]
    ]
    assert clip, "the clip is shown through the cell's display handle"


def test_wait_then_queued_cells_all_run(start_kernel):
    kc = start_kernel()
    run(kc, "%load_ext veo_magic")
    ids = [
        kc.execute("%%veo --wait --out job\na fox"),
        kc.execute("x = 41"),
        kc.execute("x + 1"),
    ]
    replies = {}
    while len(replies) < 3:
        reply = kc.get_shell_msg(timeout=60)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]
    assert [replies[i]["status"] for i in ids] == ["ok", "ok", "ok"]
    messages = iopub(kc, 1.0)
    result = [
        m["content"]["data"]["text/plain"]
        for m in messages
        if m["msg_type"] == "execute_result" and m["parent_header"]["msg_id"] == ids[2]
    ]
    assert result == ["42"]
    # the waiting cell carried its own final state: progress 100 % and the <video>
    own = [m for m in messages if m["parent_header"].get("msg_id") == ids[0]]
    bars = models(own, "IntProgressModel")
    assert any(s.get("value") == 100 for s in updates(own, bars))
    assert any(
        m["msg_type"] == "update_display_data" and "<video" in m["content"]["data"]["text/html"]
        for m in own
    )
    run(kc, "assert job.status == 'succeeded' and job.videos[0].exists()")


def test_a_refused_job_shows_in_the_view(start_kernel):
    kc = start_kernel()
    run(kc, "%load_ext veo_magic")
    run(kc, "%%veo --protocol videos\na fox [[sim:refuse]]")
    later = iopub_until(
        kc,
        lambda m: (
            m["msg_type"] == "comm_msg"
            and "Failed" in str(m["content"]["data"].get("state", {}).get("value", ""))
        ),
        30,
    )
    failed = [str(s.get("value")) for s in updates(later, {m["content"]["comm_id"] for m in later})]
    assert any("Failed" in v and "%veo resume" in v for v in failed), failed


def test_an_exception_in_the_background_task_shows_in_the_view(start_kernel):
    # A configured (unreachable) relay, and a forced crash inside the job's coroutine.
    kc = start_kernel(VEO_BASE_URL="http://127.0.0.1:9/v1", VEO_API_KEY=KEY)
    run(kc, "%load_ext veo_magic")
    run(
        kc,
        "import veo_magic.jobs.runner as r\n"
        "async def boom(*args, **kwargs):\n"
        "    raise RuntimeError('forced <crash>')\n"
        "r.Runner._follow = boom",
    )
    iopub(kc, 0.2)

    def final(msg: dict) -> bool:  # the output turned static, carrying the crash
        data = str(msg["content"].get("data", {}))
        return msg["msg_type"] == "update_display_data" and "forced &lt;crash&gt;" in data

    # The crash may come before the cell ends (then the view opens on the failed job) or after.
    during: list[dict] = []
    kc.execute_interactive("%%veo\na fox", timeout=60, output_hook=during.append)
    seen = during if any(map(final, during)) else during + iopub_until(kc, final, 30)
    assert any(map(final, seen)), "the output never turned static with the crash"
    widgets = [m for m in seen if m["msg_type"] in ("comm_open", "comm_msg")]
    states = [m["content"]["data"].get("state", {}) for m in widgets]
    text = " ".join(str(s.get("value", "")) for s in states)
    assert "internal error: RuntimeError: forced &lt;crash&gt;" in text
    assert "<crash>" not in text
    assert any(s.get("bar_style") == "danger" for s in states)
    assert KEY not in str(seen)


# -- saved notebooks -------------------------------------------------------------------------------


def execute_notebook(path: Path, cells: list[str], env: dict[str, str]) -> Path:
    import nbformat
    from nbclient import NotebookClient

    nb = code_notebook(cells)
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    nbformat.write(nb, path)
    return path


def test_notebook_growth_per_clip(tmp_path, record_property):
    env = kernel_env()
    base = execute_notebook(tmp_path / "zero.ipynb", ["%load_ext veo_magic"], env).stat().st_size
    clips = 10
    cells = ["%load_ext veo_magic"] + [f"%%veo --wait\nclip number {i}" for i in range(clips)]
    text = execute_notebook(tmp_path / "ten.ipynb", cells, env).read_text()
    growth = (len(text.encode()) - base) / clips
    record_property("ipynb_bytes_per_clip", growth)
    print(f"ipynb grows by {growth:.0f} bytes per clip", file=sys.stderr)
    assert text.count("<video") == clips  # each clip shown once, in its job's final output
    # nothing inline but each clip's thumbnail (the clip itself stays a file)
    assert re.findall(r"data:([\w/]+);base64", text) == ["image/jpeg"] * clips * 2
    assert growth < 32_000  # the budget (10 KB before the thumbnail was inline)


def test_nbconvert_html_shows_each_clip_final_state_and_poster(tmp_path):
    """``jupyter nbconvert --to html`` of an executed notebook (no export command): every job
    reads its final status, and every clip has its thumbnail as the poster."""
    import subprocess

    from bs4 import BeautifulSoup

    cells = [
        "%load_ext veo_magic",
        # ends while the next cell runs: its output is recorded from there (a job that ends
        # between two cells is lost to nbclient, hence `await` as the tutorials teach)
        "%%veo --out owl\nan owl, fire and forget",
        "await owl",
        "%%veo --wait --landscape\na fox in snow",
        "%%veo --wait --vary style=ink,oil\na lighthouse, {style}",
    ]
    execute_notebook(tmp_path / "run.ipynb", cells, kernel_env())
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", str(tmp_path / "run.ipynb")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    page = BeautifulSoup((tmp_path / "run.html").read_text(), "html.parser")
    clips = sorted((tmp_path / "veo_outputs").glob("*.mp4"))
    assert len(clips) == 4
    jobs = page.select(".veo-job")
    assert len(jobs) == 4
    for job in jobs:
        words = job.get_text(" ")
        assert job["data-status"] == "succeeded" and "succeeded" in words and "100%" in words
    for clip in clips:
        (video,) = page.select(f'video[src="veo_outputs/{clip.name}"]')
        poster = video["poster"].removeprefix("data:image/jpeg;base64,")
        assert base64.b64decode(poster)[:2] == b"\xff\xd8"  # a JPEG, inline
        assert video.find("img")["src"] == video["poster"]  # and the fallback picture
        assert "succeeded" in video.find_parent(class_="veo-job").get_text()
    assert "queued" not in page.get_text() and "not yet ended" not in page.get_text()


def test_no_key_in_a_saved_notebook(tmp_path):
    from veo_magic.simulator import Simulator

    with Simulator(generation_seconds=0.5) as relay:
        env = kernel_env(TEST_KEY=KEY)
        cells = [
            "%load_ext veo_magic",
            # what a person types at the hidden prompt (the kernel's getpass is set per request)
            "import os\nget_ipython().kernel.getpass = lambda *a, **k: os.environ['TEST_KEY']",
            f"%veo login {relay.base_url}/v1",
            "%veo config",
            "%%veo --wait --out job\na fox",
            "job",
            "import veo_magic\nveo_magic.notebook.form()",
            "%veo jobs",
        ]
        text = execute_notebook(tmp_path / "login.ipynb", cells, env).read_text()
        assert "<video" in text and "***" in text
        assert KEY not in text and KEY[3:] not in text
        env = kernel_env(VEO_API_KEY=KEY, VEO_BASE_URL=f"{relay.base_url}/v1")
        text = execute_notebook(tmp_path / "env.ipynb", cells[:1] + cells[3:], env).read_text()
        assert "<video" in text and KEY not in text
