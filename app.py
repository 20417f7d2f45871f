"""gapmap: the frame. Page config, the shared sidebar, navigation. Pages live in pages/."""

from gapmap.ui.frame import build_navigation, configure_page, run_framed
from gapmap.ui.widgets import pin_downloads, render_sidebar

pin_downloads()  # first: a run stopped early must not take a file from a button on screen
configure_page()
navigation = build_navigation()
render_sidebar()
run_framed(navigation)
