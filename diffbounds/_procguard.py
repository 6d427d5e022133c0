"""Worker processes that end when the process that started them dies (Linux).

A sweep's local workers come from a fork server: client → fork server → workers. If the client
is killed (SIGKILL included), nothing in it can run, so each child asks the kernel to kill it
when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): the fork server dies with the
client, and the workers with the fork server. This module is imported in the fork server as its
preload (so it must stay import-light: standard library only) and called in every worker by
the pool's initializer. On other platforms it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_ENV = "DIFFBOUNDS_SWEEP_CLIENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None) -> bool:
    """Ask for SIGKILL when this process's parent dies; exit at once when the parent is
    already gone (``expected_parent`` given and no longer our parent). False off Linux."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)  # the parent died before the request took effect
    return True


def worker_init(client_pid: int) -> None:
    """Pool initializer: die with the parent (the fork server, or the client under spawn),
    leave at once if the client is already gone, and ignore Ctrl-C (SIGINT reaches the whole
    foreground process group; the client alone handles it and stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    try:
        os.kill(client_pid, 0)
    except ProcessLookupError:
        os._exit(1)
    except PermissionError:  # pragma: no cover - alive, other user
        pass


# Imported as the fork server's preload: guard the fork server itself.
_client = os.environ.get(PARENT_ENV)
if _client and _client.isdigit() and os.getppid() == int(_client):
    die_with_parent(int(_client))
