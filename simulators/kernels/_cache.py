"""On-disk cache of compiled kernels, shared by every process of one user.

Numba caches a compiled function next to (or, with ``NUMBA_CACHE_DIR``, under a directory named
after) the *source file* that defines it, keyed by that file's time stamp and by the function's
bytecode and closure. The kernels of the shared step math are built at run time by
``_math.build(lib)``, and a closure over other compiled functions gets a fresh identity in every
process, so Numba cannot cache them as they are. Instead each kernel (one per score family and
dtype) is written out once as a small generated module whose kernel is a plain module-level
``@njit(cache=True)`` function that calls the step math through module globals, and the module is
imported from the cache directory:

* **where**: ``$DIFFBOUNDS_CACHE_DIR`` if set, else ``$NUMBA_CACHE_DIR/diffbounds`` if that is
  set, else the user cache directory (``$XDG_CACHE_HOME/diffbounds`` or ``~/.cache/diffbounds``
  on Linux, ``~/Library/Caches/diffbounds`` on macOS, ``%LOCALAPPDATA%\\diffbounds`` on Windows).
  Setting ``DIFFBOUNDS_CACHE_DIR=off`` disables the disk cache (kernels are compiled in memory).
* **invalidation**: generated modules live in a folder named after a hash of the kernel sources
  (``_math.py``, ``cpu.py``, this file), the Numba version and the Python version, so any change
  of the step math compiles afresh; Numba itself also checks the CPU and its own version.
* **concurrency**: a generated module is written to a temporary file and linked into place
  without ever replacing an existing file (its time stamp, which Numba's index checks, never
  changes once written); Numba writes its index and object files by atomic rename. Several
  sweep workers starting at once may each compile, but none reads a partial file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
#: sources whose change invalidates every cached kernel
_SOURCES = ("_math.py", "cpu.py", "_cache.py")
ENV_VAR = "DIFFBOUNDS_CACHE_DIR"


def cache_dir() -> Path | None:
    """The directory holding generated kernel modules and their compiled code (module docstring);
    ``None`` when disabled with ``DIFFBOUNDS_CACHE_DIR=off``."""
    own = os.environ.get(ENV_VAR)
    if own is not None and own.strip().lower() in ("off", "0", "none", "false"):
        return None
    if own:
        return Path(own).expanduser()
    numba_dir = os.environ.get("NUMBA_CACHE_DIR")
    if numba_dir:
        return Path(numba_dir).expanduser() / "diffbounds"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "diffbounds"


@cache
def code_version() -> str:
    """Hash of the kernel sources, Numba's and Python's versions (the cache's validity key)."""
    import numba

    h = hashlib.sha256()
    for name in _SOURCES:
        h.update((_HERE / name).read_bytes())
    h.update(f"numba {numba.__version__} python {sys.version}".encode())
    return h.hexdigest()[:16]


def _writable_dir(path: Path) -> Path | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".probe-", delete=True)
        probe.close()
        return path
    except OSError:
        return None


def _write_once(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` unless it exists; never replace (nor re-stamp) a file."""
    if path.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker won the race with identical content
        except OSError:  # no hard links on this file system: rename unless it appeared
            if not path.exists():
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_module(stem: str, source: str):
    """Import the generated module ``source`` (named after ``stem`` and its hash) from the cache
    directory, writing it there first if needed. Returns ``(module, cached)``, where ``cached``
    is False when the disk cache is disabled or unwritable: the module is then executed in
    memory with its line ``CACHE = True`` read as ``CACHE = False``, so that its kernels compile
    without ``cache=True``."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    modname = f"diffbounds_kernels_{code_version()}_{stem}_{digest}"
    if modname in sys.modules:
        return sys.modules[modname], True
    root = cache_dir()
    folder = _writable_dir(root / f"kernels-{code_version()}") if root is not None else None
    if folder is None:
        module = type(sys)(modname)
        sys.modules[modname] = module
        code = compile(source.replace("CACHE = True", "CACHE = False", 1),
                       f"<diffbounds kernel {stem}>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - our own template
        return module, False
    path = folder / f"{stem}_{digest}.py"
    _write_once(path, source)
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the generated kernel module {path}")
    module = importlib.util.module_from_spec(spec)
    # Numba rebuilds a cached kernel's environment by importing its module by name.
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[modname]
        raise
    return module, True
