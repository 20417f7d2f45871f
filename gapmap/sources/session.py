"""The HTTP session of network sources and the folders gapmap keeps its files in.

Entry points (the CLI, the app's loaders) call these and pass the results down; nothing in the core
reads them by itself. Tests replace :func:`new_http_session` with recorded answers.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["new_http_session", "default_datasets_dir", "default_cache_dir"]


def new_http_session():
    """A ``requests`` session that names gapmap and its version in its User-Agent."""
    import requests

    from gapmap import __version__

    session = requests.Session()
    session.headers["User-Agent"] = f"gapmap/{__version__}"
    return session


def default_datasets_dir() -> Path:
    """Where saved datasets live (the app and ``gapmap --region NAME`` read the same folder)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("gapmap")) / "datasets"


def default_cache_dir() -> Path:
    """Where downloads (TIGER files, geocoder answers) are cached."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("gapmap"))
