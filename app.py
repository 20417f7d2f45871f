"""gapmap: the frame. Page config, the shared sidebar, navigation. Pages live in pages/."""

import streamlit as st

from gapmap.ui.widgets import FAVICON, render_sidebar

st.set_page_config(page_title="gapmap: child care gaps", page_icon=FAVICON, layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/bar_chart:", default=True),
        st.Page("pages/map.py", title="Map", icon=":material/map:"),
    ]
)
render_sidebar()
navigation.run()
