"""The map's view controls: zoom to a county, a hub, a tract or a provider (found offline by name or
address), and put the view back."""

from __future__ import annotations

import streamlit as st

from gapmap.regions.places import Place, find_places
from gapmap.ui.loaders import load_places
from gapmap.ui.state import PRIVACY, SELECTED_GEOID, View, is_new, map_view_slots

__all__ = ["MapView", "render_view_controls"]

WHOLE = "The whole region"


class MapView:
    """What the controls chose: the bounds to show (None: the whole data) and a key part that changes
    when the planner asks to reset the view, so the map is drawn anew."""

    def __init__(self, bounds: tuple[float, float, float, float] | None, nonce: int) -> None:
        self.bounds = bounds
        self.nonce = nonce


def _reset(prefix: str) -> None:
    zoom, find, nonce = map_view_slots(prefix)
    nonce.set(nonce.value() + 1)
    zoom.set(WHOLE)
    find.set("")


def render_view_controls(view: View, prefix: str, select_tract: bool = False, narrow: bool = False) -> MapView:
    """'Find a place' and 'Zoom to' above a map, and a 'Reset view' button. A tract found is also
    selected (``select_tract``: the Map page shows its details)."""
    zoom, find, nonce = map_view_slots(prefix)
    places = load_places(view.region, bool(PRIVACY.get()))
    areas = [p for p in places if p.kind in ("county", "hub")]
    c1, c2, c3 = st.columns([4, 4, 3] if narrow else [3, 3, 1], vertical_alignment="bottom")
    query = c1.text_input(
        "Find a place",
        key=find.key,
        placeholder="tract, county, hub, provider, address",
        help="Searches this data's own tract names and GEOIDs, counties, hubs, and provider names and addresses; nothing leaves this computer.",
    )
    found = find_places(places, query) if query else []
    options: dict[str, Place | None] = {WHOLE: None}
    options.update({p.label: p for p in found})
    options.update({p.label: p for p in areas if p.label not in options})
    if query and not found:
        c1.caption(f"No place in this data matches {query[:60]!r}.")
    new_query = is_new(f"{prefix} search", query)
    if found and new_query:  # a new search zooms to its best match
        zoom.set(found[0].label)
    elif zoom.get() not in options:
        zoom.set(WHOLE)
    choice = c2.selectbox("Zoom to", list(options), key=zoom.key)
    c3.button("Reset view", key=f"{prefix}_reset", on_click=_reset, args=(prefix,), help="Show the whole region again.")
    place = options.get(choice or WHOLE)
    # a tract just chosen becomes the selected one; a later click on the map may select another
    if select_tract and place is not None and place.kind == "tract" and place.geoid and is_new(f"{prefix} zoom choice", place.label):
        SELECTED_GEOID.set(place.geoid)
    return MapView(place.bounds if place is not None else None, int(nonce.value()))
