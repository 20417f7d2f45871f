"""The Streamlit side: cached loaders (:mod:`.loaders`), the typed session and the view in the URL
(:mod:`.state`), shared widgets and the page preamble (:mod:`.widgets`), error display and the frame
(:mod:`.frame`), and the panels of each page (:mod:`.imports`, :mod:`.map_view`, :mod:`.priorities`,
:mod:`.scenario`, :mod:`.compare`).

Layer: the top, beside the CLI (neither imports the other). The only part of the package that imports
Streamlit (ruff rule TID251); it may import everything below.
"""
