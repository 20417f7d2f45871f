"""Every error gapmap raises on purpose lives in gapmap.errors, in the hierarchy its docstring draws."""

import importlib
import inspect
import pkgutil

import gapmap
from gapmap import errors


def _modules():
    for info in pkgutil.walk_packages(gapmap.__path__, "gapmap."):
        if info.name.startswith("gapmap.ui"):
            continue  # imports Streamlit; defines no errors
        yield importlib.import_module(info.name)


def test_every_error_class_is_defined_in_errors():
    defined_elsewhere = {
        f"{m.__name__}.{name}"
        for m in _modules()
        for name, obj in vars(m).items()
        if inspect.isclass(obj)
        and issubclass(obj, Exception)
        and obj.__module__ == m.__name__
        and m is not errors
        and not name.startswith("_")  # private control flow (a retry signal) that never reaches a caller
    }
    assert defined_elsewhere == set()


def test_the_docstring_draws_every_error_and_its_parent():
    doc = errors.__doc__
    classes = [
        getattr(errors, n) for n in errors.__all__ if inspect.isclass(getattr(errors, n)) and issubclass(getattr(errors, n), Exception)
    ]
    assert len(classes) >= 10
    drawing = [line for line in doc.splitlines() if line.strip().startswith(("├", "└", "│", "GapmapError"))]
    lines = {line.strip("│├└─ ").split()[0]: line for line in drawing}
    for cls in classes:
        assert cls.__name__ in lines, cls.__name__
        assert issubclass(cls, errors.GapmapError)
    # indentation in the drawing follows the class tree
    depth = {name: (len(line) - len(line.lstrip(" │├└─"))) for name, line in lines.items()}
    for cls in classes:
        if cls is not errors.GapmapError:
            parent = next(b for b in cls.__mro__[1:] if b.__name__ in depth)
            assert depth[cls.__name__] > depth[parent.__name__], (cls.__name__, parent.__name__)


def test_no_assert_validates_and_no_bare_base_error_is_raised():
    """Validation raises a named error of the hierarchy: never ``assert`` (gone under ``python -O``) and
    never the bare base class (a caller could not tell a bad argument from a bad file)."""
    import ast
    from pathlib import Path

    found = []
    for path in sorted(Path(gapmap.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                found.append(f"{path.name}:{node.lineno}: assert")
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") == "GapmapError":
                found.append(f"{path.name}:{node.lineno}: raise GapmapError")
    assert found == []
