"""The bundled sweep files (``*.toml``), addressable by name: ``diffbounds sweep run quick``."""
