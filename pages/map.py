"""Map: tracts coloured by the chosen measure, providers on top; click a tract for its details."""

import streamlit as st

from gapmap.ui.map_view import render_tract_details, render_tract_map, render_tracts_download, tracts_to_draw
from gapmap.ui.widgets import start_page
from gapmap.viz.measures import MEASURES

view, result = start_page("Map: {measure}, ages {band}")
st.caption(MEASURES[view.measure].description + " Hover a tract for its numbers; click it for details and its nearest providers.")
result, geometry = tracts_to_draw(view, result)
selected, privacy = render_tract_map(view, result, geometry)
render_tract_details(view, result, selected, privacy)
render_tracts_download(view, result)
