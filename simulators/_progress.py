"""An optional progress bar: tqdm when installed, a silent no-op otherwise (as emcee does)."""

from __future__ import annotations


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def progress_bar(enabled: bool, total: int, desc: str = ""):
    """A context-managed bar with ``update(n)``; a no-op when disabled or without tqdm."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # optional dependency
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="step")
