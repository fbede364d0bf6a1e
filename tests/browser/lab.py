"""A real JupyterLab (or Notebook 7) on a free port, driven in Debian's chromium by Playwright.

The server runs on a temporary copy of ``notebooks/`` with a fresh config, data, settings and
workspace dir, the built-in simulator (no relay variables, ``VEO_SIM_SECONDS=2``), and is stopped
with its whole process tree. Pages drive the app through ``window.jupyterapp`` (exposed by
``--LabApp.expose_app_in_browser``, or Notebook 7's own flag): commands, not menu clicks, which
are flaky on a fresh server. Notebook 7 is JupyterLab's components in another shell, so the same
page helpers work in both.

A job's view is a live widget while the job runs and static HTML (``.veo-job``) once it has
ended; the helpers read both, and "every bar at 100 %" means every job has ended and shows it.

``VEO_SCREENSHOTS=1`` makes the tests write ``docs/screenshots/*.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.support import code_notebook, free_port

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIM_SECONDS = "2"
SERVER_START_TIMEOUT = 60.0
VIEWPORT = {"width": 1280, "height": 1500}  # tall enough for a gallery in one screenshot

TIMINGS: list[tuple[str, str, float]] = []  # (test, what, seconds), printed after the run


def record(request: pytest.FixtureRequest, what: str, seconds: float) -> None:
    """Keep a timing for the summary and the junit report."""
    TIMINGS.append((request.node.name, what, seconds))
    request.node.user_properties.append((what, round(seconds, 3)))


def screenshots_wanted() -> bool:
    return os.environ.get("VEO_SCREENSHOTS", "") not in ("", "0")


# -- the server ------------------------------------------------------------------------------------


@dataclass
class Lab:
    """A running ``jupyter lab`` (or ``jupyter notebook``, ``app="notebook"``): where it is,
    how to reach it, how long it took to start."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]
    startup_seconds: float
    app: str = "lab"
    home: Path | None = None

    def page_url(self, path: str) -> str:
        if self.app == "notebook":
            return f"{self.url}/notebooks/{path}?token={self.token}"
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def env(self) -> dict[str, str]:
        """The server's environment (its Jupyter dirs): for ``jupyter trust`` and the like."""
        assert self.home is not None
        return _server_env(self.home)

    def tutorial(self, name: str, folder: str | None = None) -> str:
        """Copy ``notebooks/<name>`` into a folder of its own (``folder``, default its stem);
        return its path for ``open``.

        A folder per notebook: its kernel's cwd, so its clips and journal are its own.
        """
        where = self.root / (folder or Path(name).stem)
        where.mkdir(exist_ok=True)
        shutil.copy2(NOTEBOOKS / name, where / name)
        return f"{where.name}/{name}"

    def notebook(self, name: str, cells: list[str]) -> str:
        """A notebook of code cells in a folder of its own; returns its path for ``open``."""
        import nbformat

        folder = self.root / Path(name).stem
        folder.mkdir(exist_ok=True)
        nbformat.write(code_notebook(cells), folder / name)
        return f"{folder.name}/{name}"

    def clips(self, path: str) -> list[Path]:
        """The clips made by the notebook at ``path`` (in its folder's ``veo_outputs``)."""
        return sorted((self.root / path).parent.glob("veo_outputs/*.mp4"))

    def films(self, path: str) -> list[Path]:
        """The storyboard films made by the notebook at ``path``."""
        return sorted((self.root / path).parent.glob("veo_outputs/storyboards/*.mp4"))

    def stop(self) -> None:
        _stop(self.process)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _app_options(app: str, home: Path) -> list[str]:
    if app == "notebook":  # Notebook 7: JupyterNotebookApp, a LabServerApp of its own
        return [
            "-m", "notebook", "--JupyterNotebookApp.expose_app_in_browser=True",
            f"--JupyterNotebookApp.workspaces_dir={home / 'workspaces'}",
            f"--JupyterNotebookApp.user_settings_dir={home / 'settings'}",
        ]  # fmt: skip
    return [
        "-m", "jupyterlab", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
    ]  # fmt: skip


def start_lab(root: Path, home: Path, *, app: str = "lab") -> Lab:
    """Start ``jupyter lab`` (``app="notebook"``: Notebook 7) on ``root`` with its state under
    ``home``; return once it answers."""
    _write_lab_settings(home)
    env = _server_env(home)
    log = home / "jupyter.log"
    token = secrets.token_hex(24)
    for _attempt in range(3):  # the port can be taken between choosing and binding it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, *_app_options(app, home), "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
        ]  # fmt: skip
        offset = log.stat().st_size if log.exists() else 0
        started = time.monotonic()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        try:
            ready = _wait_for_status(proc, url, token)
        except BaseException:
            _stop(proc)
            raise
        if ready:
            return Lab(url, token, root, log, proc, time.monotonic() - started, app, home)
        _stop(proc)
        if "already in use" not in log.read_text(errors="replace")[offset:]:
            break
    raise RuntimeError(f"jupyter {app} did not start; its log:\n{log.read_text(errors='replace')}")


def _server_env(home: Path) -> dict[str, str]:
    """The test's environment without relay settings or the user's Jupyter state."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VEO_", "VSCODE_", "JUPYTER", "JPY_"))
    }
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "VEO_SIM_SECONDS": SIM_SECONDS,
            "PYTHONUNBUFFERED": "1",
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "IPYTHONDIR": str(home / "ipython"),
        }
    )
    return env


def _write_lab_settings(home: Path) -> None:
    """Keep a fresh JupyterLab quiet, and every cell in the DOM."""
    labconfig = home / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    disabled = [
        "@jupyterlab/apputils-extension:announcements",  # the "news?" toast
        "@jupyterlab/extensionmanager-extension",  # it queries PyPI
    ]
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": dict.fromkeys(disabled, True)})
    )
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # A windowed notebook detaches off-screen cells; the tests look at every output.
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))


def _wait_for_status(proc: subprocess.Popen[bytes], url: str, token: str) -> bool:
    """True once ``/api/status`` answers; False if the process ended first."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    request = urllib.request.Request(
        f"{url}/api/status", headers={"Authorization": f"token {token}"}
    )
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(request, timeout=2) as reply:
                json.load(reply)
                return True
        except (OSError, ValueError):  # not listening yet (URLError is an OSError)
            time.sleep(0.1)
    _stop(proc)
    raise TimeoutError(f"jupyter lab did not answer {url}/api/status in {SERVER_START_TIMEOUT} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it shuts its kernels down), then kill what is left.

    Kernels run in sessions of their own, so they are listed by pid before the server goes.
    """
    if proc.poll() is not None:
        return
    try:
        import psutil

        children = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # psutil missing or the process just ended: the group signal still goes
        children = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    for child in children:
        try:
            child.wait(timeout=5)
        except Exception:  # still running (or already reaped): make sure it is gone
            with contextlib.suppress(Exception):
                child.kill()


# -- the page --------------------------------------------------------------------------------------

# Installed in every page before JupyterLab loads. `nb(path)` is the notebook panel open on `path`;
# media load times are recorded as they happen (media events do not bubble, capture sees them).
PAGE_HELPERS = r"""
window.__veo = {
  media: [],
  nb(path) {
    const app = window.jupyterapp;
    if (!app || !app.shell) return null;
    for (const w of app.shell.widgets('main')) {
      if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
    }
    return null;
  },
  kernel(path) {
    const w = this.nb(path);
    return w && w.sessionContext.session ? w.sessionContext.session.kernel : null;
  },
  ready(path) {
    const w = this.nb(path), k = this.kernel(path);
    return !!(w && w.context.isReady && w.sessionContext.isReady && k
      && k.status === 'idle' && k.connectionStatus === 'connected');
  },
  run(path, command, index) {
    const app = window.jupyterapp, w = this.nb(path);
    app.shell.activateById(w.id);
    if (index !== undefined) w.content.activeCellIndex = index;
    app.commands.execute(command);  // not awaited: run-all resolves only when every cell ran
    return true;
  },
  code(path) { return this.nb(path).content.widgets.filter((c) => c.model.type === 'code'); },
  errors(path) {  // outside cells tagged raises-exception
    const errors = [];
    for (const c of this.code(path)) {
      if ((c.model.getMetadata('tags') || []).includes('raises-exception')) continue;
      for (const o of c.model.outputs.toJSON()) {
        const text = Array.isArray(o.text) ? o.text.join('') : o.text || '';
        if (o.output_type === 'error') errors.push(`${o.ename}: ${o.evalue}`);
        // IPython prints a UsageError on stderr, with no error output
        else if (o.output_type === 'stream' && o.name === 'stderr' && /Error/.test(text)) errors.push(text);
      }
    }
    return errors;
  },
  allRan(path) {  // every cell ran, or run-all stopped at an error (the caller checks errors)
    const k = this.kernel(path);
    if (!k || k.status !== 'idle') return false;
    return this.errors(path).length > 0 || this.code(path).every((c) => c.model.executionCount !== null);
  },
  bars(path) {  // live progress widgets, then the static bars of jobs that have ended
    const node = this.nb(path).node;
    const live = [...node.querySelectorAll('.progress-bar')].map((b) => ({
      width: b.style.width,
      success: b.classList.contains('progress-bar-success'),
      visible: b.parentElement.getBoundingClientRect().width > 0,
      live: true,
    }));
    const ended = [...node.querySelectorAll('.veo-job')].map((j) => {
      const fill = j.querySelector('.veo-bar > div');
      return {
        width: fill ? fill.style.width : '',
        success: /\bsucceeded\b/.test(j.innerText),
        visible: j.getBoundingClientRect().width > 0,
        live: false,
      };
    });
    return [...live, ...ended];
  },
  hasBar(path) { return this.bars(path).length > 0; },
  barsFull(path, count) {  // every job ended (its output static), at 100 %, succeeded
    const bars = this.bars(path);
    return bars.length >= count && bars.every((b) => !b.live && b.width === '100%' && b.success);
  },
  settled(path) { return this.bars(path).every((b) => !b.live); },  // every job has ended
  jobs(path) {  // what each ended job's static output says, for a reader
    return [...this.nb(path).node.querySelectorAll('.veo-job')].map((j) => {
      const v = j.querySelector('video');
      return {
        text: j.innerText,
        status: j.getAttribute('data-status'),
        inlinePoster: !!v && (v.getAttribute('poster') || '').startsWith('data:image/jpeg;base64,'),
        video: !!v,
      };
    });
  },
  async posters(path) {  // each <video>'s poster: null if none, else whether the picture decodes
    return Promise.all(this.videos(path).map(async (v) => {
      const url = v.getAttribute('poster');
      if (!url) return null;
      const img = new Image();
      img.src = url;
      try { await img.decode(); return img.naturalWidth > 0; } catch (e) { return false; }
    }));
  },
  async restart(path) {  // as Kernel > Restart Kernel, without its dialog
    await this.nb(path).sessionContext.restartKernel();
    return true;
  },
  save(path) {
    window.jupyterapp.shell.activateById(this.nb(path).id);
    return window.jupyterapp.commands.execute('docmanager:save').then(() => true);
  },
  outputText(path) {  // every output's text as a reader sees it (not the cells' source)
    return [...this.nb(path).node.querySelectorAll('.jp-OutputArea-output')]
      .map((o) => o.innerText).join('\n');
  },
  videos(path) { return [...this.nb(path).node.querySelectorAll('video')]; },
  videoFacts(path) {
    return this.videos(path).map((v) => ({
      src: v.currentSrc || v.getAttribute('src') || '',
      readyState: v.readyState,
      duration: v.duration,
      currentTime: v.currentTime,
      error: v.error ? `${v.error.code} ${v.error.message}` : null,
    }));
  },
  async play(path, index) {
    const v = this.videos(path)[index];
    v.muted = true;  // the autoplay policy lets muted media play without a gesture
    try { await v.play(); return null; } catch (e) { return String(e); }
  },
  async pauseAt(path, seconds) {
    await Promise.all(this.videos(path).map((v) => new Promise((done) => {
      v.pause();
      v.addEventListener('seeked', done, { once: true });
      v.currentTime = seconds;
      setTimeout(done, 2000);
    })));
  },
  cell(path, marker) {
    return this.nb(path).content.widgets.find(
      (c) => c.model.sharedModel.getSource().includes(marker)).node;
  },
  injected(path) {  // <img> elements made from prompt text: must be none
    return [...this.nb(path).node.querySelectorAll('img')]
      .filter((img) => img.hasAttribute('onerror') || /(^|\/)x([?#]|$)/.test(img.getAttribute('src') || ''))
      .map((img) => img.outerHTML);
  },
};
for (const type of ['loadstart', 'loadeddata']) {
  document.addEventListener(type, (e) => {
    if (e.target instanceof HTMLVideoElement)
      window.__veo.media.push({ type, src: e.target.currentSrc, t: performance.now() });
  }, true);
}
"""


@dataclass
class Clip:
    """One ``<video>`` as the browser saw it, and the length the notebook asked for."""

    file: Path
    requested_seconds: float
    duration: float
    load_seconds: float  # loadstart -> loadeddata (readyState >= 2)
    nudged: bool  # it reached readyState 2 only once played


class LabPage:
    """One notebook open in JupyterLab, in a browser context of its own."""

    def __init__(self, lab: Lab, page: Any) -> None:
        self.lab = lab
        self.page = page
        self.path = ""
        self.dialogs: list[str] = []
        page.add_init_script(PAGE_HELPERS)
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def call(self, method: str, *args: Any) -> Any:
        """``window.__veo[method](path, *args)`` in the page."""
        return self.page.evaluate(
            "([m, path, args]) => window.__veo[m](path, ...args)", [method, self.path, list(args)]
        )

    def wait(self, method: str, *args: Any, what: str, timeout: float) -> None:
        """Wait until ``__veo[method](path, *args)`` is true; on timeout, fail with the state."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(
                "([m, path, args]) => window.__veo[m](path, ...args)",
                arg=[method, self.path, list(args)],
                timeout=timeout * 1000,
                polling=100,
            )
        except PlaywrightTimeout:
            state = {}
            for name in ("errors", "bars", "videoFacts"):
                with contextlib.suppress(Exception):
                    state[name] = self.call(name)
            pytest.fail(
                f"{self.path}: waited {timeout} s for {what}.\n{json.dumps(state, indent=1)}\n"
                f"server log:\n{self.lab.log_tail()}"
            )

    def open(self, name: str, *, timeout: float = 90) -> None:
        """Open ``name`` (relative to the server root) and wait until its kernel is idle."""
        self.path = name
        self.page.goto(self.lab.page_url(name))
        self.wait("ready", what="the notebook and an idle kernel", timeout=timeout)

    def run_all(self) -> float:
        """Start running every cell; return when it started (``time.monotonic``)."""
        started = time.monotonic()
        self.call("run", "notebook:run-all-cells")
        return started

    def wait_all_ran(self, timeout: float = 120) -> None:
        self.wait("allRan", what="every cell to run", timeout=timeout)

    def wait_bars_full(self, count: int, timeout: float = 60) -> list[dict]:
        """Wait until there are ``count`` bars or more, all at 100 % with the success style."""
        self.wait("barsFull", count, what=f"{count}+ progress bars at 100 %", timeout=timeout)
        return self.call("bars")

    def errors(self) -> list[str]:
        return self.call("errors")

    def form(self) -> Any:
        """The output that holds the generation form."""
        return self.page.locator(".jp-OutputArea-output").filter(has=self.page.locator("textarea"))

    def generate(self, prompt: str) -> None:
        """Type ``prompt`` into the form and press Generate once the form allows it."""
        form = self.form()
        form.locator("textarea").first.fill(prompt)
        button = form.locator("button", has_text="Generate")
        self.page.wait_for_function("(b) => !b.disabled", arg=button.element_handle())
        button.click()

    def wait_job(self, text: str, timeout: float = 60) -> None:
        """Wait until an ended job's static output says ``text``."""
        self.page.wait_for_function(
            "([path, text]) => window.__veo.jobs(path).some((j) => j.text.includes(text))",
            arg=[self.path, text],
            timeout=timeout * 1000,
        )

    def restart_kernel(self, timeout: float = 60) -> None:
        """Restart the notebook's kernel and wait until the new one is idle."""
        self.call("restart")  # resolves once the kernel has restarted
        self.wait("ready", what="the restarted kernel", timeout=timeout)

    def check_videos(self, *, at_least: int, timeout: float = 30) -> list[Clip]:
        """Every ``<video>``: readyState >= 2, the requested length (±0.5 s), and it plays."""
        self.page.wait_for_function(
            "([path, n]) => window.__veo.videos(path).length >= n",
            arg=[self.path, at_least],
            timeout=timeout * 1000,
        )
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        clips = []
        for index, video in enumerate(self.call("videoFacts")):
            file = self.clip_file(video["src"])
            requested = self.requested_seconds(file)
            js_ready = "([path, i]) => window.__veo.videos(path)[i].readyState >= 2"
            nudged = False
            try:  # as shown: chromium loads the first frame of a preload="metadata" clip itself
                self.page.wait_for_function(js_ready, arg=[self.path, index], timeout=5_000)
            except PlaywrightTimeout:
                nudged = True  # as a viewer would: press play
                assert self.call("play", index) is None
                self.page.wait_for_function(
                    js_ready, arg=[self.path, index], timeout=timeout * 1000
                )
            problem = self.call("play", index)
            assert problem is None, f"play() failed for {file.name}: {problem}"
            self.page.wait_for_function(
                "([path, i]) => window.__veo.videos(path)[i].currentTime > 0.3",
                arg=[self.path, index],
                timeout=timeout * 1000,
            )
            state = self.call("videoFacts")[index]
            assert state["error"] is None, state
            assert abs(state["duration"] - requested) <= 0.5, (
                f"{file.name}: {state['duration']} s long, {requested} s asked for"
            )
            clips.append(Clip(file, requested, state["duration"], self._load_time(file), nudged))
        return clips

    def _load_time(self, file: Path) -> float:
        """Seconds from the first ``loadstart`` to the first ``loadeddata`` of ``file``."""
        events = self.page.evaluate("() => window.__veo.media")
        start = [e["t"] for e in events if e["type"] == "loadstart" and file.name in e["src"]]
        loaded = [e["t"] for e in events if e["type"] == "loadeddata" and file.name in e["src"]]
        return (min(loaded) - min(start)) / 1000 if start and loaded else float("nan")

    def clip_file(self, src: str) -> Path:
        """The file a ``<video src>`` points at, under the server root."""
        match = re.search(r"/files/([^?#]+\.mp4)", src)
        assert match, f"not a clip served by Jupyter: {src[:200]!r}"
        path = self.lab.root / unquote(match.group(1))
        assert path.is_file(), f"<video src={src!r}> names no file under {self.lab.root}"
        return path

    @staticmethod
    def requested_seconds(clip: Path) -> float:
        """The length asked for, from the clip's sidecar (the model's default when not given);
        for a storyboard's film, the length of its shots as stitched; for an extension, the
        whole clip (its lineage's total)."""
        facts = json.loads(clip.with_suffix(".json").read_text())
        if "request" not in facts:
            return float(facts["seconds"])
        lineage = facts["request"].get("lineage") or {}
        return float(lineage.get("total_seconds") or facts["request"]["seconds"])

    def screenshot(self, name: str, cell_marker: str) -> Path | None:
        """With ``VEO_SCREENSHOTS=1``: the cell whose source has ``cell_marker``, clips paused
        one second in, as ``docs/screenshots/<name>.png``."""
        if not screenshots_wanted():
            return None
        self.call("pauseAt", 1.0)
        self.page.mouse.move(0, 0)  # no hover: the video controls fade out
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        cell = self.page.evaluate_handle(
            "([path, marker]) => window.__veo.cell(path, marker)", [self.path, cell_marker]
        ).as_element()
        cell.scroll_into_view_if_needed()
        cell.screenshot(path=str(path))
        return path
