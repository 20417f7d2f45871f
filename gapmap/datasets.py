"""Named datasets: a region's tracts and providers saved together, so every page and command can use them.

A dataset is a folder ``<datasets_dir>/<slug>/`` holding ``tracts.parquet`` (GeoParquet),
``providers.csv`` (the provider contract's columns) and ``about.json`` (name, sources, counts, time).
The caller says where ``datasets_dir`` is (the app and CLI use the user's data folder).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError, GapmapError

__all__ = ["slugify", "save_dataset", "list_datasets", "read_dataset", "dataset_about"]


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    if not slug:
        raise GapmapError(f"dataset name {name!r}: use letters or digits, e.g. 'South Coast 2023'")
    return slug


def save_dataset(datasets_dir: Path, name: str, tracts: gpd.GeoDataFrame, providers: pd.DataFrame, sources: dict) -> str:
    """Validate and save a dataset; returns its key (the slug of ``name``). Overwrites one of the same name."""
    tracts = S.validate_tracts(tracts, source=f"dataset {name}: tracts")
    providers = S.validate_providers(providers, source=f"dataset {name}: providers")
    key = slugify(name)
    folder = Path(datasets_dir) / key
    folder.mkdir(parents=True, exist_ok=True)
    tracts.to_parquet(folder / "tracts.parquet")
    providers.to_csv(folder / "providers.csv", index=False)
    about = {
        "name": str(name),
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "tracts": len(tracts),
        "providers": len(providers),
        "sources": sources,
    }
    (folder / "about.json").write_text(json.dumps(about, indent=2, default=str))
    return key


def list_datasets(datasets_dir: Path) -> dict[str, str]:
    """Saved datasets, key -> name, newest first."""
    folder = Path(datasets_dir)
    if not folder.exists():
        return {}
    found = []
    for about in folder.glob("*/about.json"):
        try:
            meta = json.loads(about.read_text())
        except (OSError, ValueError):
            continue
        found.append((meta.get("saved", ""), about.parent.name, meta.get("name", about.parent.name)))
    return {key: name for _saved, key, name in sorted(found, reverse=True)}


def dataset_about(datasets_dir: Path, key: str) -> dict:
    path = Path(datasets_dir) / key / "about.json"
    if not path.exists():
        raise DataSourceError(f"no saved dataset {key!r} (looked in {Path(datasets_dir)})")
    return json.loads(path.read_text())


def read_dataset(datasets_dir: Path, key: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """(tracts, providers) of a saved dataset, validated."""
    from gapmap.sources.providers import read_providers

    dataset_about(datasets_dir, key)  # a clear error when missing
    folder = Path(datasets_dir) / key
    tracts = S.validate_tracts(gpd.read_parquet(folder / "tracts.parquet"), source=f"{key}/tracts.parquet")
    return tracts, read_providers(folder / "providers.csv")
