"""List the public functions of diffbounds that lack full annotations or numpydoc sections.

"Public" follows the API reference (``docs/_generate.py``): the packages ``diffbounds.bounds``,
``diffbounds.simulators``, ``diffbounds.claims`` and ``diffbounds.figures`` and each of their
submodules whose name does not start with ``_`` (recursively; ``simulators.kernels`` is left
out as the reference does); and, beyond the reference, the single module ``diffbounds.testing``
(the assertions a user's own test suite imports; its re-exported Hypothesis strategies are
audited once, where ``simulators.strategies`` defines them). In a module with ``__all__`` its
names are public; otherwise every function or class whose name does not start with ``_``
and that the module defines. Public methods of public classes (including properties, and
``__init__`` for its annotations) count too.

Checks, per callable:

* ``annotations``: every parameter except ``self``/``cls`` is annotated, and so is the return
  (``__init__`` excepted: its return is ``None`` by definition);
* ``parameters``: a numpydoc ``Parameters`` section when the callable takes parameters (for a
  class: in the class docstring when its constructor takes any; a dataclass may use
  ``Attributes`` for its fields);
* ``returns``: a ``Returns`` (or ``Yields``) section when the return annotation is not ``None``
  (properties excepted: their summary line says what they are);
* ``raises``: a ``Raises`` section when the source of the callable raises;
* ``examples``: an ``Examples`` section (reported only; "where one fits").

Run ``python tools/public_api_audit.py`` for counts and the list; ``--json`` for records.
``tests/test_public_api_docs.py`` enforces ``annotations`` and ``parameters``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

PACKAGES = ("diffbounds.bounds", "diffbounds.simulators", "diffbounds.claims",
            "diffbounds.figures")
#: single public modules outside those packages
MODULES = ("diffbounds.testing",)
SKIP_MODULES = ("diffbounds.simulators.kernels",)
CHECKS = ("annotations", "parameters", "returns", "raises", "examples")


def iter_modules(package: str = "") -> Iterator[ModuleType]:
    """The public modules of the packages (or of one), the package itself first; then
    :data:`MODULES`."""
    for name in ([package] if package else PACKAGES + MODULES):
        mod = importlib.import_module(name)
        yield mod
        if hasattr(mod, "__path__"):
            for info in pkgutil.iter_modules(mod.__path__):
                sub = f"{name}.{info.name}"
                if info.name.startswith("_") or sub.startswith(SKIP_MODULES):
                    continue
                yield from iter_modules(sub)


def public_members(mod: ModuleType) -> dict[str, Any]:
    """The module's public functions and classes (``__all__`` when it has one)."""
    names = getattr(mod, "__all__", None)
    out: dict[str, Any] = {}
    if names is None:
        names = [n for n, v in vars(mod).items() if not n.startswith("_")
                 and getattr(v, "__module__", None) == mod.__name__]
    for n in names:
        v = getattr(mod, n, None)
        if inspect.isfunction(v) or inspect.isclass(v):
            out[n] = v
    return out


def iter_public() -> Iterator[tuple[str, Any, str]]:
    """(qualified name, object, kind) of every public callable, each once (where defined)."""
    seen: set[int] = set()
    for mod in iter_modules():
        for obj in public_members(mod).values():
            if id(obj) in seen or not str(getattr(obj, "__module__", "")).startswith("diffbounds"):
                continue
            seen.add(id(obj))
            qual = f"{obj.__module__}.{obj.__qualname__}"
            if inspect.isfunction(obj):
                yield qual, inspect.unwrap(obj), "function"
                continue
            yield qual, obj, "class"
            for mname, member in vars(obj).items():
                if mname.startswith("_") and mname != "__init__":
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if isinstance(member, property):
                    if member.fget is not None:
                        yield f"{qual}.{mname}", member.fget, "property"
                elif inspect.isfunction(member):
                    if mname == "__init__" and dataclasses.is_dataclass(obj):
                        continue  # generated from the annotated fields
                    yield f"{qual}.{mname}", member, "init" if mname == "__init__" else "method"


def _params(func: Callable[..., Any]) -> list[inspect.Parameter]:
    sig = inspect.signature(func)
    ps = list(sig.parameters.values())
    if ps and ps[0].name in ("self", "cls"):
        ps = ps[1:]
    return ps


def _raises(func: Callable[..., Any]) -> bool:
    try:
        src = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return False
    def raises(node: ast.AST) -> bool:  # a raise of this function, not of a nested one
        if isinstance(node, ast.Raise) and node.exc is not None:
            return True
        return any(raises(child) for child in ast.iter_child_nodes(node) if not isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)))

    return raises(ast.parse(src).body[0])


def _sections(obj: Any) -> dict[str, bool]:
    from numpydoc.docscrape import NumpyDocString

    doc = inspect.getdoc(obj) or ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            d = NumpyDocString(doc)
        except Exception:  # a malformed docstring has no usable sections
            return {}
    return {k: bool(d[k]) for k in ("Parameters", "Returns", "Yields", "Raises", "Examples",
                                    "Attributes")}


def audit(qual: str, obj: Any, kind: str) -> list[str]:
    """The checks ``obj`` fails (a subset of :data:`CHECKS`)."""
    failed: list[str] = []
    if kind == "class":
        init = obj.__init__
        own_init = "__init__" in vars(obj) or dataclasses.is_dataclass(obj)
        params = _params(init) if own_init and inspect.isfunction(init) else []
        s = _sections(obj)
        if params and not (s.get("Parameters") or
                           (dataclasses.is_dataclass(obj) and s.get("Attributes"))):
            failed.append("parameters")
        if not s.get("Examples"):
            failed.append("examples")
        return failed
    sig = inspect.signature(obj)
    params = _params(obj)
    if any(p.annotation is inspect.Parameter.empty for p in params) or (
            kind != "init" and sig.return_annotation is inspect.Signature.empty):
        failed.append("annotations")
    if kind == "init":
        return failed  # documented in the class docstring
    s = _sections(obj)
    if params and not s.get("Parameters"):
        failed.append("parameters")
    ret = sig.return_annotation
    if kind != "property" and ret not in (None, "None", inspect.Signature.empty) and not (
            s.get("Returns") or s.get("Yields")):
        failed.append("returns")
    if _raises(obj) and not s.get("Raises"):
        failed.append("raises")
    if kind != "property" and not s.get("Examples"):
        failed.append("examples")
    return failed


def report() -> list[dict[str, Any]]:
    """One record per public callable: name, kind, file and the checks it fails."""
    rows = []
    for qual, obj, kind in iter_public():
        try:
            path = inspect.getsourcefile(obj) or ""
        except TypeError:
            path = ""
        rows.append({"name": qual, "kind": kind, "file": path, "failed": audit(qual, obj, kind)})
    return rows


def main(argv: list[str]) -> int:
    rows = report()
    if "--json" in argv:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{len(rows)} public callables")
    for c in CHECKS:
        print(f"  lacking {c}: {sum(c in r['failed'] for r in rows)}")
    for r in rows:
        if r["failed"]:
            print(f"{r['name']} [{r['kind']}]: {', '.join(r['failed'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
