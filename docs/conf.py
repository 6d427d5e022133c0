"""Sphinx configuration of the diffbounds documentation site.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (the ``docs`` extra).
Before Sphinx reads the sources, ``_generate()`` writes ``docs/_generated/``: the bounds table
(``diffbounds bounds table``), the claims table (``diffbounds verify --quick --markdown``),
the constant ledger (``claims/ledger.toml``), one gallery script per figure module and a copy
of the notebooks (jupytext percent scripts, executed by myst-nb).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import diffbounds

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
sys.path.insert(0, str(DOCS))

import _generate  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")
_generate.main(GENERATED)

project = "diffbounds"
author = "The diffbounds maintainers"
copyright = "2026, the diffbounds maintainers (MIT licence)"
release = diffbounds.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]

templates_path: list[str] = []
# Only the notebooks are .py sources; sphinx-gallery's by-products are not pages of their own.
exclude_patterns = ["_build", "conf.py", "_generate.py", "_generated/gallery/*",
                    "gallery/*.py", "gallery/*.ipynb", "gallery/*.zip", "gallery/*.json",
                    "gallery/*.md5", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".py": "myst-nb"}

# autosummary + numpydoc: one page per public module of the API reference
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

# myst-nb: the notebooks are jupytext percent scripts, executed at build time
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = "cache" if os.environ.get("DIFFBOUNDS_DOCS_CACHE") else "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_in_temp = False
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# sphinx-gallery: one page per figure module (docs/_generate.py writes the scripts)
sphinx_gallery_conf = {
    "examples_dirs": [str(GENERATED / "gallery")],
    "gallery_dirs": ["gallery"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "plot_gallery": "True",
    "show_memory": False,
    "min_reported_time": 10**9,
}

html_theme = "pydata_sphinx_theme"
html_title = f"diffbounds {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False




# ---------------------------------------------------------------------------------------------
# Docstrings are written as plain text with light reST (``literals``, :func: roles) and use
# |x| for absolute values and norms, which reST would read as substitution references. Escape
# the bars outside ``literals`` and table rows, and let a literal end before a letter
# (``GaussianMixture``s), instead of bending every formula to reST.
_LITERAL = re.compile(r"(``.+?``)")


def _plain_text_docstring(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("|", "+-", "+=")) or "|" not in line and "``" not in line:
            continue
        parts = _LITERAL.split(line)  # odd indices: ``literals``
        for j in range(0, len(parts), 2):
            text = parts[j].replace("|", "\\|")
            if j > 0 and text[:1].isalnum():  # ``GaussianMixture``s
                text = "\\ " + text
            parts[j] = text
        lines[i] = "".join(parts)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_text_docstring)
