"""Glossary: the words and measures gapmap uses, in plain language."""

import streamlit as st

from gapmap.glossary import FIGURES, TERMS, term_anchor
from gapmap.measures import MEASURES
from gapmap.ui.frame import ensure_frame

ensure_frame()
st.title("Words used here")
st.caption("What each term and each figure means, and where its thresholds come from.")
for term, text in TERMS.items():
    st.subheader(term, anchor=term_anchor(term))  # help icons link here: /glossary#<anchor>
    st.markdown(text)
st.subheader(FIGURES, anchor=term_anchor(FIGURES))
st.dataframe(
    [{"Figure": m.label_for(None), "Unit": m.unit, "What it is": m.description} for m in MEASURES.values()],
    hide_index=True,
    width="stretch",
)
