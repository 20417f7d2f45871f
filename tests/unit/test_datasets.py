"""Saved datasets can be renamed and deleted, and nothing else can be (no path leaves the datasets folder)."""

from __future__ import annotations

import pytest

from gapmap.errors import DatasetExistsError, DataSourceError, ParameterError
from gapmap.sources.datasets import dataset_about, delete_dataset, list_datasets, read_dataset, rename_dataset, save_dataset


@pytest.fixture
def saved(tmp_path, demo):
    tracts, providers = demo
    a = save_dataset(tmp_path, "South Coast 2023", tracts, providers, {"tracts": "demo"})
    b = save_dataset(tmp_path, "Lane County", tracts, providers, {"tracts": "demo"})
    return tmp_path, a, b


def test_rename_moves_the_dataset_and_keeps_its_content(saved, demo):
    root, a, b = saved
    version = dataset_about(root, a)["version"]
    new = rename_dataset(root, a, "South Coast hub 2023")
    assert new == "south-coast-hub-2023" and not (root / a).exists()
    assert list_datasets(root)[new] == "South Coast hub 2023"
    assert dataset_about(root, new)["version"] == version  # the same figures: caches stay valid
    tracts, providers = read_dataset(root, new)
    assert len(tracts) == len(demo[0]) and len(providers) == len(demo[1])
    # only the name changes when the key stays
    assert rename_dataset(root, new, "South coast hub 2023") == new
    assert list_datasets(root)[new] == "South coast hub 2023"


def test_rename_refuses_a_taken_or_bad_name(saved):
    root, a, b = saved
    with pytest.raises(DatasetExistsError):
        rename_dataset(root, a, "Lane County")
    with pytest.raises(ParameterError, match="a name gapmap uses itself"):
        rename_dataset(root, a, "Demo")
    assert set(list_datasets(root)) == {a, b}


def test_delete_removes_only_that_dataset(saved):
    root, a, b = saved
    delete_dataset(root, a)
    assert list_datasets(root) == {b: "Lane County"} and not (root / a).exists()
    with pytest.raises(DataSourceError, match="no saved dataset"):
        delete_dataset(root, a)


@pytest.mark.parametrize("key", ["..", "../outside", "demo", "/etc", "lane-county/../..", ""])
def test_delete_and_rename_refuse_anything_but_a_dataset_key(saved, key):
    root, a, b = saved
    (root.parent / "outside").mkdir(exist_ok=True)
    with pytest.raises(DataSourceError):
        delete_dataset(root, key)
    with pytest.raises(DataSourceError):
        rename_dataset(root, key, "Anything")
    assert set(list_datasets(root)) == {a, b} and (root.parent / "outside").exists()
