"""Maps and charts: ``build_*_map`` returns a ``folium.Map``, ``build_*_chart`` a plotly figure, and
:mod:`.measures` holds the palettes and bins of the map measures. Nothing here renders or imports
Streamlit; every text from data reaches a map as an escaped GeoJSON property, never as script.

Layer: beside :mod:`gapmap.outputs`, above :mod:`gapmap.regions`. It may import :mod:`gapmap.regions`,
:mod:`gapmap.analysis`, :mod:`gapmap.metrics`, :mod:`gapmap.sources` and the foundation; never
:mod:`gapmap.outputs`, :mod:`gapmap.ui` or the CLI.
"""
