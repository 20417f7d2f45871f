"""The Simulate page's scenario in the session: changes are stored only once they apply to the region."""

from __future__ import annotations

import json
from dataclasses import asdict

import streamlit as st

from gapmap.analysis.scenarios import check_scenario, scenario_from_dict, scenario_from_json, scenario_to_json, simulate_scenario
from gapmap.errors import GapmapError
from gapmap.sources.files import display_name
from gapmap.ui.widgets import render_error

__all__ = ["CHANGES", "changes", "store_changes", "add_changes", "simulate_or_stop", "load_scenario_upload"]

#: The session key of the scenario's changes (dicts as in the scenario JSON).
CHANGES = "scenario_changes"


def changes() -> list[dict]:
    return st.session_state.setdefault(CHANGES, [])


def store_changes(result, new: list[dict], doing: str) -> bool:
    """Keep ``new`` as the scenario only when it is a valid scenario that applies to this region; else
    show why and keep the old one."""
    try:
        check_scenario(result, scenario_from_dict({"name": "plan", "changes": new}))
    except GapmapError as exc:
        render_error(exc, doing)
        return False
    st.session_state[CHANGES] = new
    return True


def add_changes(result, *new) -> bool:
    """Add changes (AddSlots, NewSite, CloseProvider...) to the scenario, if they apply."""
    return store_changes(result, [*changes(), *map(asdict, new)], "add this change")


def simulate_or_stop(result):
    """(scenario, simulation) of the stored changes; a scenario that no longer applies (made for another
    dataset) shows why with a way out, and stops the page."""
    try:
        scenario = scenario_from_dict({"name": "plan", "changes": changes()})
        return scenario, simulate_scenario(result, scenario)
    except GapmapError as exc:
        render_error(exc, "apply the scenario")
        if st.button("Start a new scenario", key="clear_changes"):
            st.session_state[CHANGES] = []
            st.rerun()
        st.stop()


def load_scenario_upload(result, upload) -> None:
    """Load an uploaded scenario file once (whatever the outcome), storing it only when it applies."""
    if upload is None or st.session_state.get("_loaded_scenario") == (upload.name, upload.size):
        return
    st.session_state["_loaded_scenario"] = (upload.name, upload.size)
    try:
        loaded = scenario_from_json(upload.getvalue(), display_name(upload.name))
    except GapmapError as exc:
        render_error(exc, "load the scenario file")
        return
    if store_changes(result, json.loads(scenario_to_json(loaded))["changes"], "load the scenario file"):
        st.rerun()
