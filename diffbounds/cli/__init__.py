"""The ``diffbounds`` command line.

Sub-commands live in their own modules, each exposing ``register(subparsers)``, which adds a
parser whose ``func`` attribute is called with the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import sys

from diffbounds._version import __version__
from diffbounds.cli import bench as _cli_bench
from diffbounds.cli import bounds as _cli_bounds
from diffbounds.cli import figures as _cli_figures
from diffbounds.cli import sweep as _cli_sweep
from diffbounds.cli import verify as _cli_verify

_COMMANDS = (_cli_verify, _cli_bench, _cli_bounds, _cli_sweep, _cli_figures)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffbounds",
        description="Numerical verification of diffusion-model training bounds "
        "(Gupta, Parulekar, Price, Xun, NeurIPS 2024).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, KeyError) as exc:
        print(f"diffbounds {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
