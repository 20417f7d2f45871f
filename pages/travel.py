"""Travel time: access by straight-line distance against access by minutes on the road, tract by tract."""

from gapmap.ui.travel_page import render_travel_page

render_travel_page()
