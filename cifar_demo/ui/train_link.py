"""Lesson links on the Train page: open the set-up a link holds, keep the address bar on the set-up shown,
and offer the link to copy (the encoding is in ``cifar_demo.links``)."""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from .. import links, recipes
from ..settings import SETTINGS
from . import presenting
from .layer_editor import TRAIN_BASE
from .train_setup import TRAIN_LOADED, load_setup, start_values, widget_values

TRAIN_LINKS = "train_links"  # the set-ups this session put in the address or opened from it, newest last
KEPT_LINKS = 8               # ... this many: an address the page wrote itself is never taken for a new link


def setup_in(query) -> tuple:
    """The lesson-link part of a query, as a sorted tuple of (key, value): what identifies a set-up."""
    return tuple(sorted((key, str(query[key])) for key in query if key in links.SETUP_KEYS))


def _remember(setup: tuple) -> None:
    seen = [s for s in st.session_state.get(TRAIN_LINKS, []) if s != setup]
    st.session_state[TRAIN_LINKS] = (seen + [setup])[-KEPT_LINKS:]


def open_link() -> None:
    """Load the set-up the address holds into the Train page's widgets, before they are drawn, and say so:
    once per new link (a fresh session, or a link opened in this one), never for an address the page wrote."""
    ss = st.session_state
    setup = setup_in(st.query_params)
    if not setup or setup in ss.get(TRAIN_LINKS, []):
        return
    _remember(setup)
    opened = links.read_query(dict(setup), ss.get(TRAIN_BASE, recipes.DEFAULT_PRESET))
    config = {"preset": opened.preset, "spec": opened.spec, **start_values(opened.preset), **opened.settings}
    changed = load_setup(config)
    ss[TRAIN_LOADED] = opened_note(opened, widget_values(config)[0], changed)


def opened_note(opened: links.Opened, values: dict, changed: list[str]) -> str:
    """What the page says after opening a link: the set-up it opened (``values``: the settings as loaded), and
    what it ignored or changed."""
    settings = [f"{SETTINGS[name].label.lower()} {links.value_words(SETTINGS[name], values[name])}"
                for name in opened.settings]
    note = (f"Opened the set-up from the link: the **{recipes.PRESETS[opened.preset].title}** preset, with "
            + (_listed(settings) if settings else "its usual settings") + "."
            + (" The layers are the link's own, not the preset's." if opened.spec is not None else ""))
    if changed:
        note += f" This page does not offer some of its values, so: {'; '.join(changed)}."
    if opened.ignored:
        note += "\n\nThe link also held what this page cannot use, so it left out:\n" + "".join(
            f"\n- {what}" for what in opened.ignored)
    return note


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def keep_link(base: str, spec: list[dict], settings: dict) -> dict[str, str]:
    """Put the set-up shown into the address bar (only what differs from the preset's start); returns its query.
    Call once the set-up is drawn. Other keys of the address (presenter mode, a run) stay as they are."""
    preset_spec = [dict(layer) for layer in recipes.preset(base).spec]
    query = links.setup_query(base, settings, start_values(base), spec=None if spec == preset_spec else spec)
    stale = [key for key in st.query_params if key in links.SETUP_KEYS and key not in query]
    for key in stale:
        del st.query_params[key]
    changed = {key: value for key, value in query.items() if st.query_params.get(key) != value}
    if changed:
        st.query_params.update(changed)
    _remember(setup_in(query))
    return query


def share_link(query: dict[str, str]) -> None:
    """The link to this set-up, to copy, and what it holds."""
    box = st.expander("Copy a link to this set-up", icon=":material/link:", key="train_link_open", on_change="rerun")
    if not box.open:  # written only when looked at, like the script below it
        return
    with box:
        st.markdown("The address bar holds this set-up as you change it: copy the address, or the link below "
                    "(point at it for its copy button), and whoever opens it gets this preset, these settings "
                    "and these layers, ready to start. It does not hold any trained runs. "
                    + ("It opens in presenter mode too." if presenting() else
                       "Turn on presenter mode in the sidebar first and it opens in presenter mode too."))
        full = {**query, "present": "1"} if presenting() else query
        st.code(f"{st.context.url or '/train'}?{urlencode(full)}", language=None, wrap_lines=True)
