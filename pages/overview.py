"""Overview: headline figures of the region, by age band."""

import streamlit as st

from gapmap import schema as S
from gapmap.metrics import compute_headline_rows
from gapmap.ui.loaders import load_summary
from gapmap.ui.widgets import plain, render_download, show_table, start_page

view, result = start_page("Child care supply and deserts", import_summary=True)
summary = load_summary(view.region, view.params)
row = summary.set_index("band").loc[view.band]
st.subheader(S.BANDS[view.band].label)
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Children", f"{row['children']:,.0f}")
c2.metric("Slots in the region", f"{row['slots']:,.0f}")
c3.metric("Slots per 100 children", f"{row['slots_per_100']:.1f}")
c4.metric("Children in CAP deserts", f"{row['share_in_cap_deserts']:.0%}")
c5.metric("Desert tracts (CAP)", f"{row['cap_desert_tracts']:,} of {row['tracts']:,}")

st.subheader("All age bands")
st.caption(
    "The bands overlap: 3-5 includes 5-year-olds, who are not in 'under 5', so 0-2 plus 3-5 is more than under 5. "
    "See 'Words used here' for every term."
)
table = compute_headline_rows(summary)
show_table(table)
render_download("Download these figures (CSV)", table, "gapmap_overview.csv", view, key="dl_overview")

for note in result.notes:
    st.caption(plain(note))
with st.expander("How these numbers are made"):
    st.markdown(
        "- **Slots in the region**: licensed slots of providers located inside the region's tracts, "
        f"times the utilization factor {view.params.utilization:g} (the share of licensed slots taken to be open).\n"
        f"- **CAP desert**: a tract with more than {view.params.cap_min_children:g} children and more than "
        f"{view.params.desert_children_per_slot:g} children per slot located in it (Center for American Progress, 2017/2018).\n"
        f"- **OSU desert / extreme desert**: more than {view.params.desert_children_per_slot:g} children per slot / at most 1 slot "
        f"per {view.params.extreme_children_per_slot:g} children (Oregon State University).\n"
        + (
            f"- **Access**: E2SFCA on minutes on the road, {plain(result.catchment_method)}: the slots within reach shared among all the "
            "children who can reach them, across tract lines (the Travel time page compares it with straight-line distance)."
            if result.travel is not None
            else f"- **Access**: E2SFCA, slots within each tract's catchment ({result.catchment_method}) shared among all the children "
            f"who can reach them ({view.params.decay} decay), across tract lines."
        )
    )
