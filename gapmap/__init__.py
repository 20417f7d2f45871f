"""gapmap: where young children lack child care, and what to do about it.

The core package is pure Python (no Streamlit): sources -> validated frames (:mod:`gapmap.schema`) ->
metrics (:mod:`gapmap.metrics`) -> maps and exports. See ``README.md`` and ``../shared/GUIDE.md``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gapmap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
