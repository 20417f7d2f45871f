"""The app frame: page list, navigation, and a guard for pages run without the frame.

Streamlit runs the scripts of a ``pages/`` folder directly (its older multipage mode) until the first
``st.navigation`` call of the process: the first visitor after a restart who opens a shared link such as
``/map?band=0_2`` would get the page without the sidebar (AppTest even does this on every run). Each page
calls :func:`ensure_frame` first, which draws the frame itself when ``app.py`` did not.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import streamlit as st

from gapmap.ui.state import IN_FRAME, sync_query_params

__all__ = ["PAGES", "FAVICON", "configure_page", "build_navigation", "run_framed", "ensure_frame"]

#: Served by Streamlit itself (a Material icon as favicon would make the browser fetch it from Google).
FAVICON = str(Path(__file__).with_name("assets") / "favicon.png")

#: (script, title, icon, default) of every page, in menu order.
PAGES = (
    ("pages/overview.py", "Overview", ":material/bar_chart:", True),
    ("pages/map.py", "Map", ":material/map:", False),
    ("pages/priorities.py", "Priorities", ":material/format_list_numbered:", False),
    ("pages/simulate.py", "Simulate", ":material/science:", False),
    ("pages/compare.py", "Compare regions", ":material/compare_arrows:", False),
    ("pages/travel.py", "Travel time", ":material/directions_car:", False),
    ("pages/data.py", "Your data", ":material/upload_file:", False),
    ("pages/glossary.py", "Words used here", ":material/menu_book:", False),
)
_LOG = logging.getLogger("gapmap")


def configure_page() -> None:
    st.set_page_config(page_title="gapmap: child care gaps", page_icon=FAVICON, layout="wide")


def build_navigation():
    return st.navigation([st.Page(path, title=title, icon=icon, default=default) for path, title, icon, default in PAGES])


def run_framed(navigation) -> None:
    """Run the selected page, marking the run as framed (see :func:`ensure_frame`).

    An unexpected failure never shows its traceback (which names server paths and code) to the planner:
    the page says what happened in one sentence with a reference, and the server log keeps the details
    under that reference. (``client.showErrorDetails = "none"`` in .streamlit/config.toml covers a page
    run without the frame.) Streamlit's own stop and rerun signals are not exceptions and pass through.
    """
    IN_FRAME.set(True)
    try:
        navigation.run()
        sync_query_params()  # what the page set (the clicked tract, a ranking's length) goes into the link
    except Exception as exc:  # noqa: BLE001  # the last line of defence: nothing reaches the browser but this
        reference = uuid.uuid4().hex[:8]
        _LOG.exception("gapmap page failed (reference %s)", reference)
        st.error(
            f"**Something went wrong on this page** ({type(exc).__name__}, reference {reference}). The data and settings "
            "you chose are kept: try again, choose other settings, or switch to the demo region. If it happens again, "
            "tell whoever runs this server the reference."
        )
    finally:
        IN_FRAME.set(False)


def ensure_frame() -> None:
    """Called first by every page: when ``app.py`` did not frame this run, draw the frame here."""
    if IN_FRAME.get():
        return
    from gapmap.ui.widgets import render_sidebar

    configure_page()
    if not _under_apptest():
        build_navigation()  # the public call ends Streamlit's pages-folder mode for the next runs
    render_sidebar()


def _under_apptest() -> bool:
    """AppTest resets Streamlit's pages-folder flag before each of its runs and tracks pages itself."""
    from streamlit import config

    return bool(config.get_option("global.appTest"))  # st.get_option hides this option
