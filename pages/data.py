"""Your data: tracts (fetched from the Census Bureau, or uploaded) and a provider list, saved as a dataset."""

import streamlit as st

from gapmap.ui.frame import ensure_frame
from gapmap.ui.imports import render_provider_import, render_save, render_saved_datasets, render_tract_sources
from gapmap.ui.travel import render_travel_times

ensure_frame()
st.title("Your data")
st.caption(
    "Bring your own region: census tracts with ACS estimates, and your state's provider list (the licensing "
    "export as it is). Save them as a dataset, and every page can use it from the Data menu in the sidebar."
)

st.subheader("1. Tracts")
tracts = render_tract_sources()

st.subheader("2. Providers")
report = render_provider_import(tracts)

st.subheader("3. Travel times (optional)")
travel = render_travel_times(tracts, report.accepted if report is not None else None)

st.subheader("4. Save")
render_save(tracts, report, travel)

st.subheader("5. Your saved datasets")
render_saved_datasets()
