"""gapmap: the frame. Page config, the shared sidebar, navigation. Pages live in pages/."""

from gapmap.ui.frame import build_navigation, configure_page, run_framed
from gapmap.ui.widgets import render_sidebar

configure_page()
navigation = build_navigation()
render_sidebar()
run_framed(navigation)
