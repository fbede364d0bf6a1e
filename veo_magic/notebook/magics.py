"""``%%veo`` (a prompt cell) and ``%veo`` (subcommands), on IPython's ``magic_arguments``.

Errors the user can fix before anything is sent (bad options, an unknown ``{name}``, a model that
cannot do what was asked, the budget) are ``UsageError``s: one red line, no traceback, and the
cell counts as failed. The core's message says what happened; ``HOW_TO`` adds, by the error's
field, what to type here. A generation that fails while the cell waits, or a wait stopped with the
stop button, ends the cell with a one-line ``VeoCellError``; its view says the rest.

This module imports neither ipywidgets nor httpx: ``%load_ext veo_magic`` stays cheap.
"""

from __future__ import annotations

import getpass
import keyword
import os
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import (
    MagicArgumentParser,
    argument,
    magic_arguments,
)

from .._exceptions import VeoError, VeoInputError
from ..options import REQUEST_OPTIONS, request_kwargs

if TYPE_CHECKING:
    from ..jobs import Job
    from ..storyboards import Storyboard
    from .gallery import Gallery
    from .session import Session

__all__ = ["HOW_TO", "SUBCOMMANDS", "VeoCellError", "VeoMagics"]

SUBCOMMANDS = {
    "form": "form                      open the generation form",
    "jobs": "jobs [--limit N]          recorded jobs, spend so far, resume/cancel commands",
    "resume": "resume ID [--wait] [--out NAME]   follow a job, relay task or storyboard to its end",
    "retry": "retry BOARD K [--prompt TEXT] [--wait]   render storyboard shot K again, and the shots after it",
    "cancel": "cancel ID|all             stop following running job(s) started here",
    "versions": "versions JOB [--live]     a clip's versions; --live: compare any two, edit any",
    "models": "models                    known models and their prices",
    "check": "check                     what the route sells and whether the key works (no cost)",
    "login": "login [BASE_URL]          enter the relay's key (hidden; kept in memory only)",
    "logout": "logout                    forget the key entered with login",
    "config": "config [KEY=VALUE ...]    show, or change base_url, protocol, model, output_dir",
    "budget": "budget [USD|off]          show, set or clear the spending limit",
    "export": "export [NOTEBOOK] [-o OUT] [--max-mb N] [--zip]   share this notebook (as saved) "
    "as one HTML page with its clips, or a zip",
}


# How to act on an input error, in this front end's syntax, by the error's field.
HOW_TO = {
    "api_key": "run `%veo login` (the key is asked for, never typed in a cell)",
    "base_url": "give the relay with `%veo login URL` or `%veo config base_url=URL`",
    "budget_usd": "change the budget with `%veo budget N` (or `%veo budget off`)",
    "n": "`%%veo --vary` fans one prompt out into several jobs",
}


class VeoCellError(VeoError):
    """A waiting cell ended badly (generation failed, wait interrupted): shown as one line."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"\x1b[0;31mveo\x1b[0m: {self}"]


def _help() -> str:
    lines = "\n".join(f"  %veo {text}" for text in SUBCOMMANDS.values())
    return f"%veo subcommands:\n{lines}\nand %%veo [options] with the prompt as the cell body (see %%veo?)."


def request_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """One ``@argument`` per entry of the shared option table (the CLI uses the same table)."""
    for flags, kwargs in reversed(REQUEST_OPTIONS):
        func = argument(*flags, **kwargs)(func)
    return func


@contextmanager
def usage_errors() -> Iterator[None]:
    """Turn the core's input and configuration errors into one-line ``UsageError``s, each with
    how to act on it here."""
    try:
        yield
    except VeoInputError as exc:
        how = HOW_TO.get(exc.field)
        raise UsageError(f"{exc}; {how}" if how else str(exc)) from None
    except VeoError as exc:
        raise UsageError(str(exc)) from None


def _names_a_job(extend: str | None) -> bool:
    """``--extend`` names a job to continue (a Gemini API clip's URI is an option as before)."""
    return extend is not None and not extend.startswith(("http://", "https://"))


def _check_name(name: str | None) -> None:
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise UsageError(f"--out {name!r} is not a Python variable name")


def _session() -> Session:
    from .session import current_session

    return current_session()


def _wait_job(job: Job) -> None:
    """Block until the job ends (it runs on another thread; its view shows the rest)."""
    from .job_view import notebook_resume

    try:
        job.wait()
    except KeyboardInterrupt:
        raise VeoCellError(
            f"stopped waiting; job {job.id} keeps running and its view keeps updating. "
            f"`%veo cancel {job.id}` stops it."
        ) from None
    except VeoError:
        pass  # the view shows what happened; the one-line error follows below
    if job.status == "failed":
        step = job.next_step(notebook_resume)
        raise VeoCellError(f"the generation failed: {job.error} {step}".rstrip())


def _wait_gallery(gallery: Gallery) -> None:
    try:
        gallery.wait()
    except KeyboardInterrupt:
        raise VeoCellError(
            "stopped waiting; the gallery's jobs keep running (the rest start as slots free up). "
            "`gallery.cancel()` on the --out object, or `%veo cancel all`, stops them."
        ) from None
    failed = [
        v.label for v, j in zip(gallery.variants, gallery.jobs, strict=True) if j.status == "failed"
    ]
    if failed:
        raise VeoCellError(
            f"{len(failed)} of {len(gallery.variants)} variants failed: {', '.join(failed)}"
        )


def _wait_board(board: Storyboard) -> None:
    """Block until the storyboard's film is made or a shot failed (its timeline shows the rest)."""
    try:
        board.wait()
    except KeyboardInterrupt:
        raise VeoCellError(
            f"stopped waiting; storyboard {board.id} keeps rendering and its timeline keeps "
            "updating. `board.cancel()` on the --out object stops it."
        ) from None
    except VeoError:
        failed = board.failed_shot()
        again = f" `%veo retry {board.id} {failed}` renders it again." if failed is not None else ""
        raise VeoCellError(f"storyboard {board.id}: {board.error}.{again}") from None


@magics_class
class VeoMagics(Magics):
    """``%%veo`` and ``%veo``."""

    def _parse(self, func: Any, line: str) -> Any:
        # Shell-style quoting, as a user types it: IPython's own splitter keeps the quotes, so
        # `--image "my photo.png"` or `--vary "move=slow dolly in,orbit"` would arrive quoted.
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"cannot read the options: {exc} (a quote is not closed?)") from None
        try:
            return func.parser.parse_args(argv)
        except UsageError as exc:
            usage = " ".join(func.parser.format_usage().replace("::", "").split())
            raise UsageError(f"{exc}\nusage: {usage}\nSee %%veo? for every option.") from None

    @magic_arguments("%veo")
    @request_options
    @argument(
        "--wait",
        action="store_true",
        help="Block the cell until the clip is ready, with live progress (use it in notebooks "
        "run headless, such as CI). The stop button stops waiting, not the job.",
    )
    @argument(
        "--embed",
        action="store_true",
        help="Embed the clip in the notebook (base64, up to VEO_EMBED_MAX_MB, default 20) instead "
        "of referring to the saved file; automatic in Colab and VS Code.",
    )
    @argument("--out", metavar="NAME", help="Store the Job (or the gallery) in variable NAME.")
    @argument(
        "--vary",
        action="append",
        metavar="KEY=V1,V2",
        help="Fan out: {KEY} in the prompt, or a request option such as model or seconds, takes "
        "each value; repeat for a grid (the cartesian product). The total estimate is shown first.",
    )
    @argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="With --vary: at most N jobs at a time (default 4).",
    )
    @argument(
        "--storyboard",
        action="store_true",
        help="The body is a storyboard: shots separated by a line that is exactly ---, each a "
        "prompt, optionally starting with its own option line `>> --seconds 4 …`. The shots are "
        "rendered in order and stitched into one film; the options apply to every shot.",
    )
    @argument(
        "--continuity",
        default=None,
        metavar="HOW",
        help="With --storyboard: last-frame (default: each shot starts from the one before's "
        "last frame), extend (gemini, Veo 3.1: each shot extends the clip) or none.",
    )
    @argument(
        "--edit",
        nargs="?",
        const="",
        default=None,
        metavar="JOB",
        help="The body says what to change in JOB's clip (a job id, a task id or an --out name; "
        "left out: the last finished clip shown here): a new version, every setting kept unless "
        "an option changes it (Gemini Omni, protocol interactions).",
    )
    @cell_magic("veo")
    def veo_cell(self, line: str, cell: str) -> None:
        """Generate a video; the cell body is the prompt.

        ``{name}`` in the body is filled from your variables (plain names only, with an
        optional format such as ``{n:02d}``); ``{{`` and ``}}`` are literal braces. The cell
        returns at once and the view keeps updating; ``--wait`` blocks until the clip is ready.
        """
        from .display import embed_by_default, embed_cap
        from .template import fill

        args = self._parse(self.veo_cell, line)
        _check_name(args.out)
        template = cell.strip()
        embed = bool(args.embed) or embed_by_default()
        session = _session()
        namespace = self.shell.user_ns if self.shell is not None else {}
        if args.edit is not None or _names_a_job(args.extend):
            self._version_cell(args, template, namespace, embed)
            return
        if not template:
            raise UsageError("the cell body is the prompt, and it is empty; describe the clip")
        if args.storyboard or args.continuity:
            self._storyboard_cell(args, template, namespace, embed)
            return
        with usage_errors():
            if embed:
                embed_cap()  # a bad VEO_EMBED_MAX_MB fails the cell now, not the view later
            options = request_kwargs(args)
            if args.vary:
                from .gallery import build, parse_vary

                gallery = build(
                    session.client,
                    template,
                    parse_vary(args.vary),
                    namespace=namespace,
                    options=options,
                    concurrency=args.concurrency,
                    embed=embed,
                )
            else:
                job = session.client.submit(fill(template, namespace), **options)
        if args.vary:
            print(f"veo: {gallery.summary}")
            gallery.show().start()
            self._store(args.out, gallery)
            if args.wait:
                _wait_gallery(gallery)
            return
        self._show(job, args, embed)

    def _show(self, job: Job, args: Any, embed: bool) -> None:
        from .job_view import show_job

        show_job(job, embed=embed)
        _session().shown(job)
        self._store(args.out, job)
        if args.wait:
            _wait_job(job)

    def _version_cell(self, args: Any, body: str, namespace: Any, embed: bool) -> None:
        """``%%veo --edit [JOB]`` / ``--extend [JOB]``: a new version of a clip (issue 19)."""
        from .template import fill

        if args.edit is not None and args.extend is not None:
            raise UsageError("--edit and --extend do not combine: edit, then extend the edit")
        if args.vary or args.storyboard or args.continuity:
            raise UsageError("--edit and --extend make one new version: drop --vary/--storyboard")
        editing = args.edit is not None
        if editing and not body:
            raise UsageError(
                "the cell body says what to change, and it is empty; for example: "
                "make it night; keep everything else the same"
            )
        parent = self._named_job(args.edit if editing else args.extend, namespace)
        with usage_errors():
            if embed:
                from .display import embed_cap

                embed_cap()
            client = _session().client
            options = request_kwargs(args)
            options.pop("extend", None)
            text = fill(body, namespace) if body else None
            if editing:
                job = client.edit(parent, text or "", **options)
            else:
                seconds = options.pop("seconds", None)
                job = client.extend(parent, seconds, text, **options)
        print(f"veo: {job.step} of {parent.id}, estimated ${job.estimated_cost:.2f}")
        self._show(job, args, embed)

    def _named_job(self, ref: str, namespace: Any) -> Job:
        """The job ``ref`` names: an --out name, a job or task id; "" is the last finished clip
        shown in this session."""
        from ..jobs import Job as JobType

        if not ref:
            job = _session().last_finished()
            if job is None:
                raise UsageError(
                    "no finished clip has been shown in this session yet; name the job: "
                    "%%veo --edit JOB_ID (see %veo jobs)"
                )
            return job
        value = namespace.get(ref) if ref.isidentifier() else None
        if isinstance(value, JobType):
            return value
        with usage_errors():
            job = _session().client.version(ref)
        if job is None:
            raise UsageError(
                f"no job {ref!r}: give a job id, a task id or an --out name (%veo jobs)"
            )
        return job

    def _storyboard_cell(self, args: Any, body: str, namespace: Any, embed: bool) -> None:
        from ..storyboards import parse_shots, plan
        from .template import fill

        if not args.storyboard:
            raise UsageError("--continuity goes with --storyboard")
        if args.vary:
            raise UsageError(
                "--vary and --storyboard do not combine: a storyboard's shots differ by their own "
                "prompts and `>>` option lines"
            )
        with usage_errors():
            shots = parse_shots(body)
            for shot in shots:
                shot["prompt"] = fill(shot["prompt"], namespace)
            board = plan(
                _session().client,
                shots,
                continuity=args.continuity or "last-frame",
                **request_kwargs(args),
            )
        print(f"veo: {board.summary()}")
        self._follow_board(board.start(), args, embed)

    def _store(self, name: str | None, value: object) -> None:
        if name and self.shell is not None:
            self.shell.user_ns[name] = value

    @line_magic("veo")
    def veo_line(self, line: str) -> Any:
        """Manage veo_magic from a line: ``%veo SUBCOMMAND [ARGS]`` (the list follows)."""
        from IPython.utils.process import arg_split

        argv = arg_split(line)
        if not argv:
            print(_help())
            return None
        name, rest = argv[0], argv[1:]
        handler = getattr(self, f"_cmd_{name}", None) if name in SUBCOMMANDS else None
        if handler is None:
            raise UsageError(f"unknown subcommand {name!r}.\n{_help()}")
        return handler(rest)

    # -- subcommands ---------------------------------------------------------------------------

    def _cmd_form(self, argv: list[str]) -> None:
        from IPython.display import display

        from .form_view import form

        self._no_args("form", argv)
        with usage_errors():
            display(form())

    def _cmd_jobs(self, argv: list[str]) -> Any:
        parser = MagicArgumentParser(prog="%veo jobs", add_help=False)
        parser.add_argument("--limit", type=int, default=20)
        args = parser.parse_args(argv)
        from ..jobs import running_jobs
        from .history import JobTable

        session = _session()
        with usage_errors():
            client = session.client
            running = frozenset(job.id for job in running_jobs())
            return JobTable(
                client.jobs(args.limit),
                spend=client.spend(),
                simulated=client.simulated,
                output_dir=client.output_dir,
                running=running,
            )

    def _cmd_resume(self, argv: list[str]) -> None:
        parser = MagicArgumentParser(prog="%veo resume", add_help=False)
        parser.add_argument("id")
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--embed", action="store_true")
        parser.add_argument("--out", default=None)
        args = parser.parse_args(argv)
        _check_name(args.out)
        from .display import embed_by_default

        session = _session()
        embed = args.embed or embed_by_default()
        with usage_errors():
            client = session.client
            recorded = client.journal.get_storyboard(args.id) is not None
            board = client.resume_storyboard(args.id) if recorded else None
            job = client.resume(args.id) if board is None else None
        if board is not None:
            self._follow_board(board, args, embed)
            return
        assert job is not None
        self._show(job, args, embed)

    def _cmd_retry(self, argv: list[str]) -> None:
        parser = MagicArgumentParser(prog="%veo retry", add_help=False)
        parser.add_argument("id")
        parser.add_argument("shot", type=int)
        parser.add_argument("--prompt", default=None)
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--out", default=None)
        # The line splitter keeps quotes (`--prompt 'it floats away'`): unquote as a shell would.
        args = parser.parse_args(shlex.split(" ".join(argv)))
        _check_name(args.out)
        from ..storyboards import find_storyboard

        with usage_errors():
            board = find_storyboard(args.id) or _session().client.resume_storyboard(args.id)
            board.retry(args.shot, prompt=args.prompt)
        self._follow_board(board, args, None)

    def _follow_board(self, board: Storyboard, args: Any, embed: bool | None) -> None:
        """Show ``board``'s timeline, store it as ``--out``, and wait for it on ``--wait``."""
        from .timeline import show_timeline

        show_timeline(board, embed=embed)
        self._store(args.out, board)
        if args.wait:
            _wait_board(board)

    def _cmd_cancel(self, argv: list[str]) -> None:
        if len(argv) != 1:
            raise UsageError(
                "usage: %veo cancel ID (a job id or relay task id), or %veo cancel all"
            )
        from ..jobs import find_job, running_jobs

        if argv[0] == "all":
            cancelled = [job.id for job in running_jobs() if job.cancel()]
            print(
                f"cancelled {len(cancelled)} job(s)"
                + (f": {', '.join(cancelled)}" if cancelled else "")
            )
            return
        job = find_job(argv[0])
        if job is None:
            raise UsageError(
                f"no job {argv[0]!r} was started in this kernel; `%veo jobs` lists them all "
                "(a task still on the relay can be followed with `%veo resume ID`)"
            )
        if job.cancel():
            print(
                f"cancelled job {job.id}: no longer followed; the relay may still finish (and charge) it"
            )
        else:
            print(f"job {job.id} has already ended ({job.status})")

    def _cmd_versions(self, argv: list[str]) -> Any:
        parser = MagicArgumentParser(prog="%veo versions", add_help=False)
        parser.add_argument("job", nargs="?", default="")
        parser.add_argument("--embed", action="store_true")
        parser.add_argument("--live", action="store_true")
        args = parser.parse_args(argv)
        from .display import embed_by_default
        from .versions_panel import VersionsPanel
        from .versions_view import VersionsView

        namespace = self.shell.user_ns if self.shell is not None else {}
        job = self._named_job(args.job, namespace)
        embed = args.embed or embed_by_default()
        with usage_errors():
            if args.live:  # the panel: compare any two, edit or extend any (a live widget)
                return VersionsPanel(_session().client, job.id, embed=embed)
            # The strip: static HTML, the same in a saved notebook as now.
            return VersionsView(_session().client.versions(job), embed=embed)

    def _cmd_models(self, argv: list[str]) -> None:
        from ..catalog import model_lines

        self._no_args("models", argv)
        print("\n".join(model_lines(offer=_session().client.offer())))

    def _cmd_check(self, argv: list[str]) -> None:
        from IPython.display import display

        self._no_args("check", argv)
        with usage_errors():
            result = _session().client.check()
        display({"text/plain": result.text(), "text/html": result.html()}, raw=True)

    def _cmd_login(self, argv: list[str]) -> None:
        from .._secret import Secret

        if len(argv) > 1:
            raise UsageError(
                "usage: %veo login [BASE_URL] (the key is asked for, never typed in a cell)"
            )
        session = _session()
        url = argv[0] if argv else session.setting("base_url")
        if not url:
            raise UsageError(
                "which relay? give its URL: %veo login https://api.example.com/v1 "
                "(or set VEO_BASE_URL)"
            )
        key = getpass.getpass(f"API key for {url}: ").strip()
        if not key:
            raise UsageError("no key entered; nothing changed")
        with usage_errors():
            session.login(Secret(key), base_url=url)
        del key
        client = session.client
        print(
            f"logged in: {client.base_url}, protocol {client.protocol}, key *** "
            "(kept in this kernel's memory only)"
        )

    def _cmd_logout(self, argv: list[str]) -> None:
        self._no_args("logout", argv)
        with usage_errors():
            _session().login(None)
        self._cmd_config([])

    def _cmd_config(self, argv: list[str]) -> None:
        from .session import SETTINGS

        session = _session()
        if argv:
            changes: dict[str, str | None] = {}
            for item in argv:
                name, sep, value = item.partition("=")
                if not sep or name not in SETTINGS:
                    allowed = ", ".join(f"{k} ({v})" for k, v in SETTINGS.items())
                    raise UsageError(f"%veo config KEY=VALUE, with KEY one of: {allowed}")
                changes[name] = value.strip() or None
            with usage_errors():
                session.configure(**changes)
        with usage_errors():
            client = session.client
        budget = f"${client.budget_usd:.2f}" if client.budget_usd is not None else "none"
        source = session.key_source
        rows = [
            (
                "relay",
                "built-in simulator (no VEO_BASE_URL / VEO_API_KEY)"
                if client.simulated
                else client.base_url,
            ),
            ("protocol", client.protocol),
            ("model", client.model),
            ("output dir", f"{client.output_dir} (cwd {os.getcwd()})"),
            ("key", f"*** (from {source})" if source else "not set"),
            ("simulated", "yes" if client.simulated else "no"),
            ("budget", budget),
        ]
        for label, value in rows:
            print(f"{label + ':':<12}{value}")

    def _cmd_budget(self, argv: list[str]) -> None:
        session = _session()
        if len(argv) > 1:
            raise UsageError("usage: %veo budget [USD|off]")
        if argv:
            word = argv[0].strip().lstrip("$").lower()
            if word in ("off", "none"):
                session.set_budget(None)
            else:
                from ..config import BUDGET_USD

                with usage_errors():  # the rule VEO_BUDGET_USD and Client(budget_usd=) follow
                    usd = BUDGET_USD.check(word, from_environment=False)
                session.set_budget(usd)
        with usage_errors():
            client = session.client
            spent = client.spend()
        kind = " (simulated jobs)" if client.simulated else ""
        if client.budget_usd is None:
            print(
                f"no budget set; spent so far{kind}: ${spent:.2f} (estimated). Set one: %veo budget 5"
            )
        else:
            left = max(0.0, client.budget_usd - spent)
            print(
                f"budget ${client.budget_usd:.2f}; spent{kind} ${spent:.2f} (estimated); left ${left:.2f}"
            )

    def _cmd_export(self, argv: list[str]) -> None:
        from ..export import DEFAULT_MAX_MB, export

        parser = MagicArgumentParser(prog="%veo export", add_help=False)
        parser.add_argument("notebook", nargs="?", default=None)
        parser.add_argument("-o", "--output", default=None)
        parser.add_argument("--max-mb", type=float, default=DEFAULT_MAX_MB)
        parser.add_argument("--zip", action="store_true")
        args = parser.parse_args(argv)
        notebook = Path(args.notebook) if args.notebook else self._notebook_in_use()
        if notebook is None:
            raise UsageError(
                "which notebook? this kernel does not know its file: %veo export NAME.ipynb"
            )
        if notebook.is_file():
            saved = time.strftime("%H:%M:%S", time.localtime(notebook.stat().st_mtime))
            print(f"exporting {notebook} as last saved ({saved}): save first for newer outputs")
        out = Path(args.output) if args.output else None
        keys = [key for key in (_session().secret,) if key]
        with usage_errors():
            result = export(notebook, out, as_zip=args.zip, max_mb=args.max_mb, keys=keys)
        print(result.summary())

    def _notebook_in_use(self) -> Path | None:
        """The notebook this kernel runs, as Jupyter's server or VS Code tell the kernel."""
        namespace = self.shell.user_ns if self.shell is not None else {}
        for name in (
            namespace.get("__vsc_ipynb_file__"),  # VS Code
            namespace.get("__session__"),  # ipykernel, from JPY_SESSION_NAME
            os.environ.get("JPY_SESSION_NAME"),  # jupyter_server, for the kernels it starts
        ):
            if not name or not str(name).endswith(".ipynb"):
                continue
            path = Path(str(name))
            for candidate in (path, Path.cwd() / path.name):  # a session path or a file name
                if candidate.is_file():
                    return candidate
        return None

    @staticmethod
    def _no_args(name: str, argv: list[str]) -> None:
        if argv:
            raise UsageError(f"%veo {name} takes no arguments")


VeoMagics.veo_line.__doc__ = f"{VeoMagics.veo_line.__doc__}\n\n{_help()}"
