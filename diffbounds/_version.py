"""The single source of the package version (pyproject.toml and ``diffbounds --version``)."""

__version__ = "0.2.0.dev0"
