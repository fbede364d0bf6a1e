"""The ``veo-magic`` command: generate, resume, jobs, models, export, simulate.

Exit status: 0 done, 1 the generation failed (the message names the task), 2 bad input or
configuration (nothing was sent). The core's messages say what happened; ``how_to`` adds what to
do from a shell: which variable to set, or which option to pass.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._exceptions import VeoError, VeoGenerationError, VeoInputError
from ..config import VARIABLES
from ..options import add_request_options, request_kwargs

if TYPE_CHECKING:
    from ..storyboards import Storyboard

__all__ = ["how_to", "main"]

# Settings this command also takes as options.
_FLAGS = {"base_url": "--base-url", "output_dir": "--out-dir", "protocol": "--protocol"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``veo-magic``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:  # the simulator parses its own options (--port, --scenario, ...)
        from ..simulator.__main__ import main as simulate

        return simulate(argv[1:]) or 0
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except VeoInputError as exc:
        how = how_to(exc.field)
        print(f"veo-magic: {exc}{f'; {how}' if how else ''}", file=sys.stderr)
        return 2
    except VeoError as exc:
        print(f"veo-magic: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "\nveo-magic: interrupted; a submitted task keeps running on the relay "
            "(see `veo-magic jobs`, then `veo-magic resume ID`)",
            file=sys.stderr,
        )
        return 130


def how_to(field: str) -> str | None:
    """What to do about a bad ``field`` from a shell: the variable that sets it, or the option."""
    variable = next((v for v in VARIABLES if v.field == field), None)
    if variable is None:
        return None
    flag = _FLAGS.get(field)
    return f"set {variable.name}" + (f" or pass {flag}" if flag else "")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="veo-magic",
        description="Generate Veo 3.1 clips through OpenAI-compatible relays.",
        epilog=f"Configuration: {', '.join(v.name for v in VARIABLES)}. With no URL and no key, "
        "the built-in simulator answers.",
    )
    parser.set_defaults(command=None)
    sub = parser.add_subparsers(title="commands")

    gen = sub.add_parser("generate", help="Generate a clip and save it.")
    gen.add_argument("prompt", help="What the clip shows.")
    add_request_options(gen)
    _client_options(gen)
    gen.set_defaults(command="generate", run=_generate)

    res = sub.add_parser(
        "resume",
        help="Follow a job or relay task to the end and save its clip, or finish a storyboard.",
    )
    res.add_argument(
        "id", help="A local job id, the relay's task id or a storyboard id (see `veo-magic jobs`)."
    )
    res.add_argument("--protocol", default=None, help="Protocol of a task not in the journal.")
    _client_options(res)
    res.set_defaults(command="resume", run=_resume)

    # A new version of a finished clip: edit (what changes) or extend (what happens next).
    for name, about, prompt, run in (
        (
            "edit",
            "A new version of a finished clip, changed as the prompt says (Gemini Omni on "
            "interactions; a relay's Omni clip by its remix). Nothing is overwritten.",
            {"help": "What changes, e.g. 'make it night; keep everything else'."},
            _edit,
        ),
        (
            "extend",
            "Continue a finished clip (Omni on interactions: 3-10 s, --seconds; Veo 3.1 on "
            "vertex or gemini: +7 s).",
            {"nargs": "?", "default": None, "help": "What happens next (optional)."},
            _extend,
        ),
    ):
        step = sub.add_parser(name, help=about)
        step.add_argument("job", help="The clip's local job id or task id (see `veo-magic jobs`).")
        step.add_argument("prompt", **prompt)
        add_request_options(step)
        _client_options(step)
        step.set_defaults(command=name, run=run)

    versions = sub.add_parser(
        "versions", help="A clip's versions (edits, extensions, branches) and what they cost."
    )
    versions.add_argument("job", help="Any version's local job id or task id.")
    _client_options(versions)
    versions.set_defaults(command="versions", run=_versions)

    jobs = sub.add_parser("jobs", help="List recorded jobs and the spend so far.")
    jobs.add_argument("--limit", type=int, default=20)
    _client_options(jobs)
    jobs.set_defaults(command="jobs", run=_jobs)

    models = sub.add_parser(
        "models",
        help="List known models with capabilities and prices (per clip on relays, per second on "
        "Google's API), and what the configured relay sells (its GET /v1/models).",
    )
    _client_options(models)
    models.set_defaults(command="models", run=_models)

    check = sub.add_parser(
        "check",
        help="Before spending money: does the configured route answer, does it take the key, "
        "which video models does it sell today, and what to change (free requests only; exit "
        "status 1 when the route cannot make a video).",
    )
    _client_options(check)
    check.add_argument("--protocol", default=None, help="Protocol (default: VEO_PROTOCOL).")
    check.add_argument(
        "--model", default=None, help="Model a job would ask for (default: VEO_MODEL)."
    )
    check.set_defaults(command="check", run=_check)

    from ..export import DEFAULT_MAX_MB

    export = sub.add_parser(
        "export",
        help="Write a saved notebook as one HTML page with every clip inside (--zip: a zip of "
        "the notebook, its clips and their sidecars).",
    )
    export.add_argument("notebook", help="The .ipynb file, as last saved.")
    export.add_argument(
        "-o",
        "--output",
        default=None,
        help="Where to write (default: the notebook's path with .html, or .zip with --zip).",
    )
    export.add_argument(
        "--max-mb",
        type=float,
        default=DEFAULT_MAX_MB,
        help=f"Embed clips up to this many MB in all (default {DEFAULT_MAX_MB:g}); the others "
        "are copied beside the page, in OUTPUT_files/, and linked.",
    )
    export.add_argument(
        "--zip",
        action="store_true",
        help="Write a zip instead: the notebook plus the clips it shows and their sidecars, at "
        "the same relative paths (never the journal), to open in Jupyter.",
    )
    export.set_defaults(command="export", run=_export)

    # Listed for --help only: main() hands `simulate ...` to the simulator's own parser.
    sub.add_parser(
        "simulate", help="Run the relay simulator in the foreground (see simulate --help)."
    )
    return parser


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", default=None, help="Relay base URL (default: VEO_BASE_URL).")
    parser.add_argument("--out-dir", default=None, help="Output dir (default: VEO_OUTPUT_DIR).")


def _client(args: argparse.Namespace, protocol: str | None = None):
    from ..client import Client

    return Client(base_url=args.base_url, protocol=protocol, output_dir=args.out_dir)


def _follow(job) -> int:
    from .terminal import TerminalBar

    job.add_listener(TerminalBar(job))
    if job.simulated:
        print(
            "simulated: no relay configured, the built-in simulator is answering", file=sys.stderr
        )
    try:
        job.wait()
    except VeoGenerationError:
        step = job.next_step(lambda ref: f"`veo-magic resume {ref}`")
        print(f"veo-magic: {job.error} {step}".rstrip(), file=sys.stderr)
        return 1
    for path in job.videos:
        print(path)
    return 0


def _generate(args: argparse.Namespace) -> int:
    kwargs = request_kwargs(args)
    client = _client(args, kwargs.pop("protocol", None))
    extend = kwargs.get("extend")
    if extend and not str(extend).startswith(("http://", "https://")):
        row = client.journal.get(str(extend))  # a job id or task id from `veo-magic jobs`
        if row and row.get("video_urls"):
            kwargs["extend"] = row["video_urls"][0]
    job = client.submit(args.prompt, **kwargs)
    return _follow(job)


def _parent_client(args: argparse.Namespace, protocol: str | None):
    """A client on the protocol the clip ``args.job`` was made on (its journal row), unless
    ``--protocol`` names another (an Omni client edits a Veo clip statelessly)."""
    client = _client(args, protocol)
    row = client.journal.get(args.job)
    if row is None:
        raise VeoInputError(
            "job", args.job, "is no job in this output folder's journal",
            hint="list them with `veo-magic jobs` (and --out-dir if they were saved elsewhere)",
        )  # fmt: skip
    if protocol is None and row["protocol"] != client.protocol:
        client.close()
        client = _client(args, row["protocol"])
    return client


def _derived_options(args: argparse.Namespace) -> tuple[dict, str | None]:
    kwargs = request_kwargs(args)
    kwargs.pop("extend", None)  # the clip is the positional JOB
    return kwargs, kwargs.pop("protocol", None)


def _edit(args: argparse.Namespace) -> int:
    kwargs, protocol = _derived_options(args)
    job = _parent_client(args, protocol).edit(args.job, args.prompt, **kwargs)
    print(f"edit of {args.job}: estimated ${job.estimated_cost:.2f}", file=sys.stderr)
    return _follow(job)


def _extend(args: argparse.Namespace) -> int:
    kwargs, protocol = _derived_options(args)
    seconds = kwargs.pop("seconds", None)
    job = _parent_client(args, protocol).extend(args.job, seconds, args.prompt, **kwargs)
    print(f"extension of {args.job}: estimated ${job.estimated_cost:.2f}", file=sys.stderr)
    return _follow(job)


def _versions(args: argparse.Namespace) -> int:
    print(_parent_client(args, None).versions(args.job))
    return 0


def _resume(args: argparse.Namespace) -> int:
    client = _client(args, args.protocol)
    if client.journal.get_storyboard(args.id) is not None:
        return _follow_board(client.resume_storyboard(args.id))
    return _follow(client.resume(args.id))


def _follow_board(board: Storyboard) -> int:
    """A line on stderr as each shot ends; the film's path on stdout at the end."""
    told: dict[int, str] = {}

    def tell(board: Storyboard) -> None:
        for index, job in enumerate(list(board.jobs)):
            if job.done() and told.get(index) != job.id:
                told[index] = job.id
                where = job.videos[0] if job.videos else job.error
                print(f"shot {index}: {job.status} ({where})", file=sys.stderr)

    tell(board)
    board.add_listener(tell)
    try:
        board.wait()
    except VeoError:
        print(f"veo-magic: storyboard {board.id}: {board.error}", file=sys.stderr)
        return 1
    print(board.film)
    return 0


def _jobs(args: argparse.Namespace) -> int:
    client = _client(args)
    rows = client.jobs(args.limit)
    if not rows:
        print(f"no jobs recorded in {client.output_dir}/")
        return 0
    print(f"{'when':<17} {'job':<12} {'status':<10} {'cost':>6}  {'model':<26} prompt / file")
    for row in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created_at"]))
        files = ", ".join(row["files"]) or row.get("error") or ""
        sim = " (sim)" if row["simulated"] else ""
        print(
            f"{when:<17} {row['id']:<12} {row['status']:<10} ${row['cost']:>5.2f}  "
            f"{(row['model'] or '')[:26]:<26} {row['prompt'][:50]!r}{sim}"
        )
        if files:
            print(f"{'':<17} {'':<12} {'':<10} {'':>6}  {'':<26} -> {files}")
    print(f"spend so far: ${client.spend():.2f}{' (simulated)' if client.simulated else ''}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..export import export

    out = Path(args.output) if args.output else None
    print(export(Path(args.notebook), out, as_zip=args.zip, max_mb=args.max_mb).summary())
    return 0


def _models(args: argparse.Namespace) -> int:
    from ..catalog import model_lines

    print("\n".join(model_lines(offer=_client(args).offer())))
    return 0


def _check(args: argparse.Namespace) -> int:
    from ..client import Client

    client = Client(
        base_url=args.base_url, protocol=args.protocol, output_dir=args.out_dir, model=args.model
    )
    result = client.check()
    print(result.text())
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
