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
from diffbounds.cli import hunt as _cli_hunt
from diffbounds.cli import ledger as _cli_ledger
from diffbounds.cli import sampler as _cli_sampler
from diffbounds.cli import sweep as _cli_sweep
from diffbounds.cli import verify as _cli_verify

_COMMANDS = (_cli_verify, _cli_bench, _cli_bounds, _cli_sweep, _cli_figures, _cli_ledger,
             _cli_hunt, _cli_sampler)


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


EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; returns its exit code. Bad input (ValueError, TypeError, KeyError,
    store errors included) prints one line and returns 2; Ctrl-C (SIGINT) prints one line and
    returns 130 (``verify`` and ``sweep run`` also say what finished and keep it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, KeyError) as exc:
        print(f"diffbounds {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"diffbounds {args.command}: interrupted before any result was finished",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
