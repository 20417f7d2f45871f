"""Download files survive interrupted reruns: Streamlit deletes a downloadable file once two runs in a row
end without it (a run stopped early by a new rerun, e.g. a map's first value, ends without reaching the
buttons), while the browser still shows the button of the last whole run. gapmap registers every file its
buttons show first thing in each run, so no run ends without them."""

from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from gapmap.ui.widgets import pin_downloads

DATA, MIME, NAME = b"geoid,rank\n1,1\n", "text/csv", "gapmap_priorities.csv"


def _manager():
    return MediaFileManager(MemoryMediaFileStorage("/media"))


def _whole_run(mgr, pins):
    mgr.clear_session_refs()
    if pins is not None:
        pin_downloads(pins, mgr)
    url = mgr.add(DATA, MIME, "1.(3.-14).5", file_name=NAME, is_for_static_download=True)  # the button itself
    mgr.remove_orphaned_files()
    return url


def _interrupted_run(mgr, pins):
    mgr.clear_session_refs()
    if pins is not None:
        pin_downloads(pins, mgr)
    mgr.remove_orphaned_files()  # stopped before the page drew its buttons


def test_without_pins_two_interrupted_runs_delete_the_file_a_button_shows():
    mgr = _manager()
    url = _whole_run(mgr, None)
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    _interrupted_run(mgr, None)
    _interrupted_run(mgr, None)
    assert file_id not in mgr._file_metadata  # the click would get a 404 ("canceled")


def test_pinned_files_outlive_any_number_of_interrupted_runs_and_go_once_replaced():
    mgr = _manager()
    pins = {"dl_priorities.csv": (DATA, MIME, NAME)}
    url = _whole_run(mgr, pins)
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    for _ in range(5):
        _interrupted_run(mgr, pins)
    assert file_id in mgr._file_metadata
    assert mgr._storage.get_file(file_id).content == DATA and mgr._storage.get_file(file_id).filename == NAME
    # a new file under the same key (the view changed): the old one is collected as Streamlit would
    pins["dl_priorities.csv"] = (b"geoid,rank\n2,1\n", MIME, NAME)
    for _ in range(2):
        _interrupted_run(mgr, pins)
    assert file_id not in mgr._file_metadata


def test_every_download_button_of_the_app_is_pinned():
    """No page or panel calls Streamlit's download button but through gapmap.ui.widgets.download_button."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    calls = []
    for path in [*root.joinpath("gapmap", "ui").glob("*.py"), *root.joinpath("pages").glob("*.py"), root / "app.py"]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\.download_button\(", line) and "container.download_button(" not in line:
                calls.append(f"{path.relative_to(root)}:{n}")
    assert calls == []
