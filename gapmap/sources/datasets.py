"""Named datasets: a region's tracts and providers saved together, so every page and command can use them.

A dataset is a folder ``<datasets_dir>/<key>/`` holding ``tracts.parquet`` (GeoParquet),
``providers.parquet`` (the provider contract's columns; older datasets have ``providers.csv``) and
optionally ``travel_times.parquet`` (a checked travel-time table: geoid, provider_id, minutes) and
``about.json`` (name, sources, counts, time, and ``version``: a digest of the saved content, which every
cache of the app is keyed on, so a dataset saved again shows its new figures at once).

Names: the key is the name's normal form (:func:`slugify`: lower case, letters and digits joined by
hyphens, at most :data:`MAX_KEY_CHARS` characters, a digest added when shortened). Two names with the
same key are the same dataset: saving over one needs ``overwrite=True`` (the app asks first).
:data:`RESERVED_KEYS` (``demo`` and the words the app and CLI use themselves) are refused. The caller
says where ``datasets_dir`` is (the app and CLI use the user's data folder).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DatasetExistsError, DataSourceError, GapmapError, ParameterError

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_KEY_CHARS",
    "RESERVED_KEYS",
    "rename_dataset",
    "delete_dataset",
    "DatasetExistsError",
    "slugify",
    "save_dataset",
    "list_datasets",
    "existing_dataset",
    "read_dataset",
    "dataset_about",
    "dataset_version",
    "read_dataset_rejected",
    "read_dataset_travel_times",
]

MAX_NAME_CHARS = 120
MAX_KEY_CHARS = 60
#: Keys a dataset may not have: the bundled demo and names the app and CLI give meanings of their own.
RESERVED_KEYS = frozenset({"demo", "all", "all-tracts", "none", "new", "default", "county", "hub"})


def slugify(name: str) -> str:
    """The key of a dataset name: ``"South Coast 2023"`` -> ``"south-coast-2023"``; accents dropped, at
    most :data:`MAX_KEY_CHARS` characters (a long name keeps its start and gets a digest of the whole)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug:
        raise ParameterError(f"dataset name {_shown(name)}: use letters or digits, e.g. 'South Coast 2023'")
    if len(slug) > MAX_KEY_CHARS:
        digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
        slug = slug[: MAX_KEY_CHARS - 9].rstrip("-") + "-" + digest
    return slug


def _shown(name: object) -> str:
    text = str(name)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _check_name(name: str) -> str:
    name = " ".join(str(name).split())
    if len(name) > MAX_NAME_CHARS:
        raise ParameterError(f"dataset name {_shown(name)}: at most {MAX_NAME_CHARS} characters, please ({len(name)} given)")
    key = slugify(name)
    if key in RESERVED_KEYS:
        raise ParameterError(f"dataset name {_shown(name)}: {key!r} is a name gapmap uses itself; choose another, e.g. '{name} 2024'")
    return name


def save_dataset(
    datasets_dir: Path,
    name: str,
    tracts: gpd.GeoDataFrame,
    providers: pd.DataFrame,
    sources: dict,
    overwrite: bool = False,
    provider_import: dict | None = None,
    rejected: pd.DataFrame | None = None,
    travel_times: pd.DataFrame | None = None,
    travel_about: dict | None = None,
    roads: object | None = None,
) -> str:
    """Validate and save a dataset; returns its key (:func:`slugify` of ``name``). ``provider_import``
    (:meth:`ProviderImport.about`: rows read, accepted, rejected, the mapping used) goes into about.json,
    and ``rejected`` (the rejected rows with their reasons) beside it, so the dataset can show them later.
    ``travel_times`` (the accepted rows of a travel-time table: geoid, provider_id, minutes) is saved with
    it, and ``travel_about`` (:meth:`TravelTimesImport.about`) goes into about.json; without them a
    table saved before stays only when the providers are unchanged (it is checked again on every read).
    ``roads`` (a :class:`gapmap.sources.routing.RoadNetwork` the table was made on) is saved beside it,
    so a scenario's new sites are routed on the same roads.

    Raises :class:`DatasetExistsError` when a dataset of the same key exists and ``overwrite`` is False.
    """
    name = _check_name(name)
    key = slugify(name)
    tracts = S.validate_tracts(tracts, source=f"dataset {name}: tracts")
    providers = S.validate_providers(providers, source=f"dataset {name}: providers")
    folder = Path(datasets_dir) / key
    if (folder / "about.json").exists() and not overwrite:
        try:
            existing = json.loads((folder / "about.json").read_text()).get("name", key)
        except (OSError, ValueError):
            existing = key
        raise DatasetExistsError(key, str(existing))
    folder.mkdir(parents=True, exist_ok=True)
    tracts.to_parquet(folder / "tracts.parquet")
    providers.reset_index(drop=True).to_parquet(folder / "providers.parquet", index=False)
    (folder / "providers.csv").unlink(missing_ok=True)  # an older dataset's copy
    (folder / "rejected.parquet").unlink(missing_ok=True)
    if rejected is not None and len(rejected):
        rejected.astype(str).to_parquet(folder / "rejected.parquet", index=False)
    previous: dict = {}
    if (folder / "about.json").exists():
        try:
            previous = json.loads((folder / "about.json").read_text())
        except (OSError, ValueError):
            previous = {}
    if travel_times is not None:
        table = pd.DataFrame(
            {
                S.GEOID: travel_times[S.GEOID].astype(str).to_numpy(),
                S.PROVIDER_ID: travel_times[S.PROVIDER_ID].astype(str).to_numpy(),
                "minutes": pd.to_numeric(travel_times["minutes"]).to_numpy(float),
            }
        )
        table.to_parquet(folder / "travel_times.parquet", index=False)
        for part in ("roads.json", "roads_nodes.parquet", "roads_segments.parquet"):
            (folder / part).unlink(missing_ok=True)
        if roads is not None:
            roads.save(folder)  # type: ignore[attr-defined]  # a RoadNetwork (sources.routing needs the routing extra)
    digest = hashlib.sha256()
    for part in ("tracts.parquet", "providers.parquet", "travel_times.parquet"):
        if (folder / part).exists():
            digest.update((folder / part).read_bytes())
    about = {
        "name": name,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": digest.hexdigest()[:16],
        "tracts": len(tracts),
        "providers": len(providers),
        "sources": sources,
    }
    if provider_import:
        about["import"] = provider_import
    if travel_times is not None:
        about["travel_times"] = travel_about or {"rows": len(travel_times)}
    elif (folder / "travel_times.parquet").exists() and isinstance(previous.get("travel_times"), dict):
        about["travel_times"] = previous["travel_times"]
    _write_about(folder, about)
    return key


def existing_dataset(datasets_dir: Path, name: str) -> str | None:
    """The name of the saved dataset that ``name`` would replace, or None (also for unusable names)."""
    try:
        key = slugify(name)
    except GapmapError:
        return None
    return list_datasets(datasets_dir).get(key)


def list_datasets(datasets_dir: Path) -> dict[str, str]:
    """Saved datasets, key -> name, newest first (a folder whose about.json is unreadable is skipped)."""
    folder = Path(datasets_dir)
    if not folder.exists():
        return {}
    found = []
    for about in folder.glob("*/about.json"):
        try:
            meta = json.loads(about.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or about.parent.name in RESERVED_KEYS:
            continue
        found.append((str(meta.get("saved", "")), about.parent.name, str(meta.get("name", about.parent.name))))
    return {key: name for _saved, key, name in sorted(found, reverse=True)}


def dataset_about(datasets_dir: Path, key: str) -> dict:
    path = Path(datasets_dir) / key / "about.json"
    if key in RESERVED_KEYS or not re.fullmatch(r"[a-z0-9-]+", str(key)) or not path.exists():
        raise DataSourceError(f"no saved dataset {_shown(key)}: save one on the Your data page")
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        raise DataSourceError(f"the saved dataset {_shown(key)} cannot be read (its about.json is damaged): save it again") from None
    if not isinstance(meta, dict):
        raise DataSourceError(f"the saved dataset {_shown(key)} cannot be read (its about.json is damaged): save it again")
    return meta


def dataset_version(datasets_dir: Path, key: str) -> str:
    """What identifies the saved content of a dataset (caches are keyed on it)."""
    meta = dataset_about(datasets_dir, key)
    return str(meta.get("version") or meta.get("saved") or "")


def read_dataset_rejected(datasets_dir: Path, key: str) -> pd.DataFrame:
    """The provider rows rejected when the dataset was saved (with ``row`` and ``reason``), or an empty table."""
    dataset_about(datasets_dir, key)
    path = Path(datasets_dir) / key / "rejected.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["row", "reason"])


def read_dataset(datasets_dir: Path, key: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """(tracts, providers) of a saved dataset, validated."""
    dataset_about(datasets_dir, key)  # a clear error when missing
    folder = Path(datasets_dir) / key
    tracts = S.validate_tracts(gpd.read_parquet(folder / "tracts.parquet"), source=f"{key}/tracts.parquet")
    if (folder / "providers.parquet").exists():
        providers = S.validate_providers(pd.read_parquet(folder / "providers.parquet"), source=f"{key}/providers.parquet")
    else:
        from gapmap.sources.providers import read_providers

        providers = read_providers(folder / "providers.csv")
    return tracts, providers


def read_dataset_travel_times(datasets_dir: Path, key: str) -> tuple[pd.DataFrame, dict] | None:
    """The travel-time table saved with a dataset (geoid, provider_id, minutes) and what about.json says
    of it, or None when it has none. Unchecked: check it against the dataset's tracts and providers
    (:func:`gapmap.sources.travel_times.check_travel_times`)."""
    meta = dataset_about(datasets_dir, key)
    path = Path(datasets_dir) / key / "travel_times.parquet"
    if not path.exists():
        return None
    about = meta.get("travel_times")
    return pd.read_parquet(path), (about if isinstance(about, dict) else {})


def _write_about(folder: Path, about: dict) -> None:
    tmp = folder / "about.json.tmp"
    tmp.write_text(json.dumps(about, indent=2, default=str))
    tmp.replace(folder / "about.json")  # a reader never sees half a file


def rename_dataset(datasets_dir: Path, key: str, new_name: str) -> str:
    """Give the saved dataset ``key`` a new name; returns its new key (its folder moves when the key
    changes). Raises :class:`DatasetExistsError` when another dataset has that key."""
    about = dataset_about(datasets_dir, key)  # a clear error when there is no such dataset
    new_name = _check_name(new_name)
    new_key = slugify(new_name)
    folder = Path(datasets_dir) / key
    if new_key != key:
        target = Path(datasets_dir) / new_key
        if target.exists():
            existing = list_datasets(datasets_dir).get(new_key, new_key)
            raise DatasetExistsError(new_key, str(existing))
        folder.rename(target)  # one directory entry changes: never half a dataset under either key
        folder = target
    about["name"] = new_name
    about["renamed"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_about(folder, about)
    return new_key


def delete_dataset(datasets_dir: Path, key: str) -> None:
    """Delete the saved dataset ``key`` (its folder and every file in it)."""
    import shutil

    dataset_about(datasets_dir, key)  # only a dataset: a reserved, malformed or unknown key is refused
    folder = Path(datasets_dir) / key
    if folder.is_symlink() or folder.resolve().parent != Path(datasets_dir).resolve():
        raise DataSourceError(f"the saved dataset {_shown(key)} is not a folder of the datasets folder: delete it by hand")
    shutil.rmtree(folder)
