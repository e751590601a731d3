"""The console script ``prefect-schedule-mcp``.

    prefect-schedule-mcp                 serve MCP over stdio
    prefect-schedule-mcp serve [...]     serve over stdio or streamable HTTP
    prefect-schedule-mcp demo            run the guided demo on a local server

Errors are handled once, here: a short message on stderr and a non-zero exit.
stdout belongs to the MCP protocol and is never written to by logging.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from prefect_schedule_mcp import __version__
from prefect_schedule_mcp.settings import Settings

logger = logging.getLogger("prefect_schedule_mcp")

DEFAULT_HTTP_PORT = 8765
LOOPBACK_HOST = "127.0.0.1"


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("prefect_schedule_mcp")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="prefect-schedule-mcp",
        description="An MCP server that schedules Prefect 3 work safely.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve MCP (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default=LOOPBACK_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_HTTP_PORT)
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host header to accept besides loopback names (repeatable)",
    )
    commands.add_parser("demo", help="walk through every tool on a local server")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace, settings: Settings) -> None:
    # FastMCP keeps session state in py-key-value, which type-checks its own
    # calls at run time unless told not to; the checks cost start-up time and
    # only ever warn.
    os.environ.setdefault("PY_KEY_VALUE_DISABLE_BEARTYPE", "true")
    if args.transport == "http":
        from prefect_schedule_mcp.serving import serve_http

        serve_http(settings, args.host, args.port, args.allowed_host)
        return
    from prefect_schedule_mcp.server import build_server

    build_server(settings).run(transport="stdio", show_banner=False)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        if args.command == "demo":
            from prefect_schedule_mcp.demo import run_demo

            return run_demo()
        if args.command is None:
            args = parse_args(["serve"])
        serve(args, settings)
    except KeyboardInterrupt:
        return 130
    except SystemExit as e:
        if isinstance(e.code, str):
            print(f"prefect-schedule-mcp: {e.code}", file=sys.stderr)
            return 2
        raise
    except Exception as e:
        print(f"prefect-schedule-mcp: {e}", file=sys.stderr)
        return 1
    return 0
