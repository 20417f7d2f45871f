"""The Simulate page's scenario in the session: changes are stored only once they apply to the region."""

from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd
import streamlit as st
import streamlit_folium  # called through the module: tests answer as st_folium does after a click

from gapmap import measures as M
from gapmap import schema as S
from gapmap.analysis.scenarios import (
    FIELD_LABELS,
    KIND_LABELS,
    AddSlots,
    CloseProvider,
    NewSite,
    check_scenario,
    compare_outcomes,
    compare_scenarios,
    compute_changed_tract_rows,
    compute_outcome_rows,
    scenario_from_dict,
    scenario_from_json,
    scenario_to_json,
    simulate_scenario,
)
from gapmap.analysis.siting import OBJECTIVES, band_slots, build_coverage, suggest_sites_greedy
from gapmap.errors import GapmapError
from gapmap.sources.files import display_name
from gapmap.ui.state import (
    COMPARED_SCENARIOS,
    KEPT_SCENARIOS,
    NOTICE,
    SCENARIO_CHANGES,
    SCENARIO_LINK_PROBLEM,
    SITE_LAT,
    SITE_LON,
    SUGGEST_BAND,
    View,
    is_new,
)
from gapmap.ui.widgets import download_button, plain, render_download, render_error, show_table, term_help

__all__ = [
    "CHANGES",
    "changes",
    "store_changes",
    "add_changes",
    "simulate_or_stop",
    "load_scenario_upload",
    "place_site_default",
    "render_scenario_map",
    "render_change_forms",
    "render_changes_editor",
    "render_outcomes",
    "render_site_suggestions",
    "render_scenario_files",
    "render_notice",
    "render_kept_scenarios",
]

#: The longest name a kept scenario may have.
MAX_NAME = 80

#: The session key of the scenario's changes (dicts as in the scenario JSON).
CHANGES = SCENARIO_CHANGES.key


def changes() -> list[dict]:
    return SCENARIO_CHANGES.value()


def store_changes(result, new: list[dict], doing: str) -> bool:
    """Keep ``new`` as the scenario only when it is a valid scenario that applies to this region; else
    show why and keep the old one."""
    try:
        check_scenario(result, scenario_from_dict({"name": "plan", "changes": new}))
    except GapmapError as exc:
        render_error(exc, doing)
        return False
    SCENARIO_CHANGES.set(new)
    return True


def add_changes(result, *new) -> bool:
    """Add changes (AddSlots, NewSite, CloseProvider...) to the scenario, if they apply."""
    return store_changes(result, [*changes(), *map(asdict, new)], "add this change")


def simulate_or_stop(result):
    """(scenario, simulation) of the stored changes; a scenario that no longer applies (made for another
    dataset) shows why with a way out, and stops the page. A link's scenario that could not be read says
    why once."""
    problem = SCENARIO_LINK_PROBLEM.get()
    if problem:
        SCENARIO_LINK_PROBLEM.clear()
        render_error(problem, "use the scenario of the link")
    try:
        scenario = scenario_from_dict({"name": "plan", "changes": changes()})
        return scenario, simulate_scenario(result, scenario)
    except GapmapError as exc:
        render_error(exc, "apply the scenario")
        if st.button("Start a new scenario", key="clear_changes"):
            SCENARIO_CHANGES.set([])
            st.rerun()
        st.stop()


def load_scenario_upload(result, upload) -> None:
    """Load an uploaded scenario file once (whatever the outcome), storing it only when it applies."""
    if upload is None or not is_new("scenario upload", (upload.name, upload.size)):
        return
    try:
        loaded = scenario_from_json(upload.getvalue(), display_name(upload.name))
    except GapmapError as exc:
        render_error(exc, "load the scenario file")
        return
    if store_changes(result, json.loads(scenario_to_json(loaded))["changes"], "load the scenario file"):
        st.rerun()


def place_site_default(result) -> None:
    """Put the new-site form's point in the middle of the region until the planner moves it, and again
    whenever the point kept lies outside the region (another dataset, or a first run opened by a link,
    where the form's own default of 0, 0 would place a site in the ocean)."""
    minx, miny, maxx, maxy = result.tracts.total_bounds
    lat, lon = SITE_LAT.get(), SITE_LON.get()
    if lat is None or lon is None or not (miny <= float(lat) <= maxy and minx <= float(lon) <= maxx):
        SITE_LAT.set(float((miny + maxy) / 2))
        SITE_LON.set(float((minx + maxx) / 2))


def render_scenario_map(view: View, result, sim) -> None:
    """The map after (or before) the changes; a click moves the new site's point there. The map's frame
    (base map, view, legend) stays the same across changes and only the scenario layer is sent anew, so
    the map keeps the planner's pan and zoom."""
    from gapmap.ui.loaders import load_map_geometry
    from gapmap.ui.places import render_view_controls
    from gapmap.viz.maps import build_scenario_frame, build_scenario_layer

    shown = render_view_controls(view, "sim", narrow=True)
    when = st.radio("Show", ["After", "Before"], horizontal=True, key="sim_when")
    new_sites = pd.DataFrame([c for c in changes() if c["kind"] == "new_site"])
    frame = build_scenario_frame(result, view.band, bounds=shown.bounds)
    layer = build_scenario_layer(
        result,
        sim.after if when == "After" else sim.before,
        view.band,
        sim.changed_tracts,
        new_sites if len(new_sites) else None,
        geometry=load_map_geometry(view.region),
    )
    clicked = (
        streamlit_folium.st_folium(
            frame,
            key="sim_map" + (f"_{shown.nonce}" if shown.nonce else ""),  # a reset draws the map anew
            feature_group_to_add=layer,
            returned_objects=["last_clicked"],
            height=460,
            use_container_width=True,
        )
        or {}
    )
    point = clicked.get("last_clicked")
    if point and is_new("scenario map click", point):  # a new click: move the site there
        SITE_LAT.set(float(point["lat"]))
        SITE_LON.set(float(point["lng"]))
    st.caption("Click the map to place a new site there. The map keeps its view as you change the scenario.")


def render_change_forms(result) -> None:
    """Open a new site; add slots to or close a provider."""
    with st.form("new_site"):
        st.markdown("**Open a new site**")
        name = st.text_input("Name", value="New site", key="site_name")
        c1, c2 = st.columns(2)
        lat = c1.number_input("Latitude", format="%.5f", key=SITE_LAT.key)
        lon = c2.number_input("Longitude", format="%.5f", key=SITE_LON.key)
        c3, c4 = st.columns(2)
        s02 = c3.number_input("Slots 0-2", 0, 500, 16, key="site_02")
        s35 = c4.number_input("Slots 3-5", 0, 500, 20, key="site_35")
        c5, c6 = st.columns(2)
        kind = c5.selectbox("Type", list(S.PROVIDER_TYPES), format_func=lambda t: S.PROVIDER_TYPES[t], key="site_type")
        funding = c6.selectbox("Funding", list(S.FUNDING_TYPES), format_func=lambda f: S.FUNDING_TYPES[f], key="site_funding")
        if st.form_submit_button("Add this site"):
            site = NewSite(name, lat, lon, float(s02), float(s35), type=kind or "center", funding=funding or "unknown")
            if add_changes(result, site):
                NOTICE.set(f"Added {name}: {s02:g} slots for ages 0-2 and {s35:g} for ages 3-5. The figures below include it.")
                st.rerun()
    with st.form("provider_change"):
        st.markdown("**Change a provider**")
        prov = result.providers
        names = dict(zip(prov[S.PROVIDER_ID], prov[S.PROVIDER_NAME]))
        pid = st.selectbox("Provider", prov[S.PROVIDER_ID], format_func=lambda p: f"{names[p]} ({p})", key="prov_pick")
        c5, c6 = st.columns(2)
        d02 = c5.number_input("Add slots 0-2 (negative removes)", -500, 500, 10, key="prov_02")
        d35 = c6.number_input("Add slots 3-5", -500, 500, 0, key="prov_35")
        a, b = st.columns(2)
        if a.form_submit_button("Add slots") and add_changes(result, AddSlots(pid, float(d02), float(d35))):
            NOTICE.set(f"Changed {names[pid]}: {d02:+g} slots for ages 0-2 and {d35:+g} for ages 3-5. The figures below include it.")
            st.rerun()
        if b.form_submit_button("Close it") and add_changes(result, CloseProvider(pid)):
            NOTICE.set(f"Closed {names[pid]}. The figures below include it.")
            st.rerun()


def render_notice() -> None:
    """What the last change did, kept on screen until the next change."""
    notice = NOTICE.get()
    if notice:
        st.success(plain(notice))  # it quotes names from files and forms: shown as the text they are


def render_changes_editor(result) -> None:
    """The scenario's changes as an editable table, in words (the kind of change first)."""
    table = pd.DataFrame(changes())
    if len(table):
        table = table[["kind", *[c for c in FIELD_LABELS if c in table.columns and c != "kind"]]]
    config = {col: st.column_config.Column(label) for col, label in FIELD_LABELS.items()}
    config["kind"] = st.column_config.SelectboxColumn(
        FIELD_LABELS["kind"], options=list(KIND_LABELS), format_func=lambda k: KIND_LABELS.get(str(k), str(k)), required=True, pinned=True
    )
    config["type"] = st.column_config.SelectboxColumn(
        FIELD_LABELS["type"], options=list(S.PROVIDER_TYPES), format_func=lambda t: S.PROVIDER_TYPES.get(str(t), str(t))
    )
    config["funding"] = st.column_config.SelectboxColumn(
        FIELD_LABELS["funding"], options=list(S.FUNDING_TYPES), format_func=lambda f: S.FUNDING_TYPES.get(str(f), str(f))
    )
    edited = st.data_editor(table, num_rows="dynamic", key="changes_editor", width="stretch", hide_index=True, column_config=config)
    if st.button("Apply edits to the changes", key="apply_edits") and store_changes(
        result, [{k: v for k, v in rec.items() if pd.notna(v)} for rec in edited.to_dict("records")], "apply the edits"
    ):
        st.rerun()


def _delta(change: float, digits: int) -> tuple[str, str]:
    """The change as a metric shows it, and its colour rule: "no change" in grey when it rounds to 0."""
    if round(float(change), digits) == 0:
        return "no change", "off"
    return f"{change:+,.{digits}f}", "normal"


def render_outcomes(view: View, sim) -> None:
    """Before and after, for the band and by county."""
    summary = compare_outcomes(sim).set_index("band").loc[S.BANDS[view.band].label]
    m1, m2, m3, m4 = st.columns(4)
    text, colour = _delta(summary["children_in_access_deserts_change"], 0)
    m1.metric(
        "Children in access deserts",
        f"{summary['children_in_access_deserts_after']:,.0f}",
        text,
        delta_color="inverse" if colour == "normal" else "off",
        help=term_help("Access desert: fewer than 1 slot within reach per 3 children (E2SFCA, across tract lines).", "Access (E2SFCA)"),
    )
    text, colour = _delta(summary["cap_desert_tracts_change"], 0)
    m2.metric("CAP desert tracts", f"{summary['cap_desert_tracts_after']:,}", text, delta_color="inverse" if colour == "normal" else "off")
    text, colour = _delta(summary["slots_per_100_change"], 1)
    m3.metric("Slots per 100 children", f"{summary['slots_per_100_after']:.1f}", text, delta_color=colour)  # type: ignore[arg-type]
    reached = M.column("children_reached", view.band)
    gained = float(sim.after[reached].sum() - sim.before[reached].sum())
    text, colour = _delta(gained, 0)
    m4.metric(
        "Children who gain a slot within reach",
        "none" if colour == "off" else f"{gained:+,.0f}",
        help=term_help(
            "Children x access (slots within reach per child, at most 1), after minus before, added over the tracts: "
            "the children the added slots can serve where families travel.",
            "Access (E2SFCA)",
        ),
    )
    st.markdown(f"**By county**, ages {S.BANDS[view.band].short}")
    show_table(compute_outcome_rows(compare_outcomes(sim, by="county")), key="by_county")
    render_changed_tracts(view, sim)


def render_changed_tracts(view: View, sim) -> None:
    """The tracts the scenario changed, before and after, in words; the biggest gains first."""
    band = S.BANDS[view.band]
    st.markdown(f"**Tracts the changes reach**, ages {band.short}")
    if not len(sim.changed_tracts):
        st.caption("No change yet: add a site, add slots or close a provider above.")
        return
    rows = compute_changed_tract_rows(sim, view.band)
    st.caption(
        f"{len(rows):,} tracts have a changed figure. Slots within reach: the slots near enough to the tract's families, "
        "shared among all the children who can reach them (E2SFCA). An access desert has fewer than 1 slot within reach per 3 children."
    )
    show_table(rows, key="changed_tracts", column_config={"Tract": st.column_config.TextColumn(pinned=True)})


def render_site_suggestions(view: View, result) -> None:
    """Suggest where new sites help most, and add them to the scenario (for the page's age band unless
    the planner picks another)."""
    SUGGEST_BAND.setdefault(view.band)
    c7, c8, c9 = st.columns(3)
    k = int(c7.number_input("How many sites", 1, 20, 5, key="suggest_k"))
    slots = float(c8.number_input("Slots at each", 5, 300, 60, key="suggest_slots"))
    sband = c9.selectbox("For ages", list(S.BANDS), format_func=lambda b: S.BANDS[b].short, key=SUGGEST_BAND.key)
    objective = st.radio("Aim", list(OBJECTIVES), format_func=lambda o: OBJECTIVES[o], key="suggest_objective")
    if st.button("Suggest where they help most", key="suggest"):
        bar = st.progress(0.0, text="Choosing sites...")
        cov = build_coverage(result, sband, slots, objective=objective)

        def progress(n: int, total: int) -> None:
            bar.progress(n / total, text=f"Site {n} of {total} chosen")

        choice = suggest_sites_greedy(cov, k, progress=progress)
        suggested = [
            NewSite(f"Suggested: {r.name}"[:200], float(r.latitude), float(r.longitude), *band_slots(sband, slots))
            for r in cov.candidates.iloc[choice.chosen].itertuples(index=False)
        ]
        if add_changes(result, *suggested):
            NOTICE.set(f"{len(choice.chosen)} suggested sites added ({choice.covered_children:,.0f} children by the chosen aim).")
            st.rerun()


def render_scenario_files(result, scenario) -> None:
    """Download the scenario as JSON; load one."""
    d1, d2 = st.columns(2)
    download_button(d1, "Download this scenario (JSON)", scenario_to_json(scenario).encode("utf-8"), "gapmap_scenario.json", "dl_scenario")
    load_scenario_upload(result, d2.file_uploader("Load a scenario (JSON)", type=["json"], key="load_scenario"))


def _compared(view: View, result, scenarios: dict) -> pd.DataFrame:
    """:func:`compare_scenarios`, made again only when the data, the parameters, the band or a kept
    scenario changed (each kept scenario is a simulation: not on every rerun of the page)."""
    from gapmap.ui.loaders import region_version

    token = (
        view.region,
        region_version(view.region),
        view.params,
        view.band,
        json.dumps({k: scenario_to_json(v) for k, v in scenarios.items()}),
    )
    kept = COMPARED_SCENARIOS.get()
    if kept is None or kept[0] != token:
        kept = (token, compare_scenarios(result, scenarios, view.band))
        COMPARED_SCENARIOS.set(kept)
    return kept[1]


def render_kept_scenarios(view: View, result) -> None:
    """Keep the current scenario under a name; kept scenarios side by side; open or remove one."""
    kept = KEPT_SCENARIOS.value()
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input("Name this scenario", key="keep_name", max_chars=MAX_NAME, placeholder="e.g. Two new centers in Millbrook")
    if c2.button("Keep it to compare", key="keep_scenario", disabled=not changes()):
        clean = " ".join((name or "").split())
        if not clean:
            st.error("Give the scenario a name first.")
        else:
            kept[clean] = [dict(c) for c in changes()]
            NOTICE.set(f"Kept the scenario {clean!r} ({len(changes())} changes) to compare.")
            st.rerun()
    if not kept:
        st.caption("Make some changes, name them and keep them: kept scenarios appear here side by side, against the data as it is.")
        return
    scenarios, problems = {}, []
    for kept_name, kept_changes in kept.items():
        try:
            scenario = scenario_from_dict({"name": kept_name, "changes": kept_changes})
            check_scenario(result, scenario)
            scenarios[kept_name] = scenario
        except GapmapError as exc:
            problems.append(f"{kept_name}: {exc}")
    band = S.BANDS[view.band]
    st.markdown(f"**Kept scenarios side by side**, ages {band.short} (each against the data as it is)")
    table = _compared(view, result, scenarios)
    show_table(table, key="kept_table", column_config={"Scenario": st.column_config.TextColumn(pinned=True)})
    for problem in problems:
        st.warning(f"Not compared, it does not apply to this data: {problem}")
    render_download("Download the comparison (CSV)", table, f"gapmap_scenarios_{view.band}.csv", view, key="dl_kept")
    c3, c4, c5 = st.columns([3, 1, 1], vertical_alignment="bottom")
    pick = c3.selectbox("Kept scenario", list(kept), key="kept_pick")
    if c4.button("Open it", key="kept_open", help="Make it the scenario above (the current changes are replaced).") and pick in kept:
        if store_changes(result, [dict(c) for c in kept[pick]], "open the kept scenario"):
            NOTICE.set(f"Opened the kept scenario {pick!r}.")
            st.rerun()
    if c5.button("Remove it", key="kept_remove") and pick in kept:
        del kept[pick]
        st.rerun()
