"""``python -m veo_magic.simulator``: run the relay simulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .dialects import DIALECTS
from .scenarios import SCENARIOS
from .server import Simulator

__all__ = ["main"]


def _listing(title: str, entries: dict[str, str]) -> str:
    width = max(map(len, entries))
    return f"{title}:\n" + "\n".join(f"  {name:<{width}}  {text}" for name, text in entries.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m veo_magic.simulator",
        description=(
            "A Veo relay simulator on 127.0.0.1: chat completions, /v1/videos and /v1/video/create, "
            "real H.264/AAC MP4s, scripted faults. Point a client at the printed URL with any key."
        ),
        epilog=(
            _listing(
                "scenarios (server-wide with --scenario, per request with [[sim:NAME]] in the prompt)",
                SCENARIOS,
            )
            + "\n\n"
            + _listing("dialects (comma-separated with --dialect, or in a [[sim:…]] tag)", DIALECTS)
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="Port to listen on (0 picks a free one)."
    )
    parser.add_argument(
        "--generation-seconds",
        type=float,
        default=6.0,
        help="How long each simulated generation takes, in seconds.",
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        default=None,
        help="Server-wide scenario (default: normal).",
    )
    parser.add_argument(
        "--dialect",
        metavar="NAMES",
        default=None,
        help="Server-wide dialect names, comma-separated.",
    )
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=None,
        help="How long hanging scenarios hold a request (default: 5x generation, at least 3).",
    )
    parser.add_argument("--cache-dir", default=None, help="Where rendered clips are cached.")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="Serve https with a throwaway CA (trustme), so Gemini file links are https:// on "
        "this host and fetchable as written (what LiteLLM needs); the CA file is printed.",
    )
    parser.add_argument(
        "--models",
        metavar="NAMES",
        default=None,
        help="What GET /v1/models lists, comma-separated (default: every name veo_magic knows).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        simulator = Simulator(
            generation_seconds=args.generation_seconds,
            scenario=args.scenario,
            dialect=args.dialect,
            port=args.port,
            hang_seconds=args.hang_seconds,
            cache_dir=args.cache_dir,
            models=[m.strip() for m in args.models.split(",") if m.strip()]
            if args.models
            else None,
            tls=args.tls,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def announce(base_url: str) -> None:
        print(
            f"veo_magic simulator on {base_url} (OpenAI base URL {base_url}/v1; any key works)",
            flush=True,
        )
        if simulator.ca_file is not None:
            print(f"TLS: trust the CA in {simulator.ca_file} (e.g. SSL_CERT_FILE)", flush=True)
        print(
            f"scenario={simulator.scenario} dialect={simulator.dialect} "
            f"generation_seconds={args.generation_seconds:g}; Ctrl-C stops it",
            flush=True,
        )

    try:
        simulator.run(on_ready=announce)
    except (OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C once it has shut down cleanly
        pass
    print("veo_magic simulator stopped", flush=True)
    return 0
