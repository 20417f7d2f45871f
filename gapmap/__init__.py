"""gapmap: where young children lack child care, and what to do about it.

The core package is pure Python (no Streamlit), and its data flows one way: :mod:`gapmap.sources` ->
validated frames (:mod:`gapmap.schema`) -> :mod:`gapmap.metrics` -> :mod:`gapmap.analysis` ->
:mod:`gapmap.regions` -> :mod:`gapmap.outputs` and :mod:`gapmap.viz` -> :mod:`gapmap.ui` and the CLI, with
the measure registry (:mod:`gapmap.measures`), parameters and errors at the foundation. ``ARCHITECTURE.md``
draws the layers; a test holds them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gapmap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
