"""What gapmap hands out: exports (``to_*_bytes``: CSV, Excel, GeoJSON, GeoPackage) and the printable
summary.

Layer: beside :mod:`gapmap.viz`, above :mod:`gapmap.regions`. It may import :mod:`gapmap.regions`,
:mod:`gapmap.analysis`, :mod:`gapmap.metrics`, :mod:`gapmap.sources` and the foundation; never
:mod:`gapmap.viz` (maps are built by the callers), :mod:`gapmap.ui` or the CLI.
"""
