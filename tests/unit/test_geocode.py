"""Geocoding rows that have an address and no coordinates, against a recorded batch-geocoder answer."""

import csv
import io
from dataclasses import dataclass, field

import pytest
import requests

from gapmap.errors import GapmapError
from gapmap.sources.geocode import GEOCODER_URL, geocode_addresses, parse_batch_answer
from gapmap.sources.providers import import_providers
from tests.conftest import FIXTURES

G = FIXTURES / "geocoder"


@dataclass
class FakeResp:
    status_code: int
    text: str = ""


@dataclass
class RecordedGeocoder:
    """Answers each batch with the recorded lines of the ids it was sent."""

    offline: bool = False
    posts: list = field(default_factory=list)

    def post(self, url, data=None, files=None, timeout=None):
        if self.offline:
            raise requests.ConnectionError("no route to host")
        assert url == GEOCODER_URL and data == {"benchmark": "Public_AR_Current"}
        name, body, ctype = files["addressFile"]
        sent = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        self.posts.append(sent)
        ids = {row[0] for row in sent}
        lines = [ln for ln in (G / "batch_answer.csv").read_text().splitlines() if ln.split(",")[0].strip('"') in ids]
        return FakeResp(200, "\n".join(lines) + "\n")


def geocoder(session, cache=None, **kw):
    return lambda df: geocode_addresses(df, session, cache, **kw)


def test_parse_batch_answer():
    recs = {r["id"]: r for r in parse_batch_answer((G / "batch_answer.csv").read_text())}
    assert (recs["0"]["longitude"], recs["0"]["latitude"]) == (-120.6023, 44.3012)
    assert recs["2"]["status"] == "No_Match" and recs["3"]["status"] == "Tie"


def test_addresses_without_coordinates_are_geocoded_and_failures_explained(tmp_path):
    session = RecordedGeocoder()
    rep = import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(session, tmp_path / "geo.json"))
    assert rep.rows_read == 4
    a = rep.accepted.set_index("provider_id")
    assert a.loc["G1", ["latitude", "longitude"]].tolist() == [44.3012, -120.6023]
    assert a.loc["G2", ["latitude", "longitude"]].tolist() == [44.2871, -120.5512]
    reasons = dict(zip(rep.rejected["provider_id"], rep.rejected["reason"]))
    assert reasons == {
        "G3": "no coordinates, and the Census geocoder answered 'No_Match' for '9 Nowhere Rd, Riverton, OR 97000'",
        "G4": "no coordinates, and the Census geocoder answered 'Tie' for '5 School Rd, Riverton, OR 97000'",
    }
    assert "Geocoded 2 of 4 addresses with the Census geocoder." in rep.notes
    # the addresses went as id, street, city, state, zip rows
    assert session.posts[0][0] == ["0", "101 Main St", "Riverton", "OR", "97000"]


def test_answers_are_cached_and_batches_respect_the_size(tmp_path):
    session = RecordedGeocoder()
    cache = tmp_path / "geo.json"
    import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(session, cache, batch_size=3))
    assert [len(p) for p in session.posts] == [3, 1]
    again = RecordedGeocoder(offline=True)  # the cache answers; the network is not touched
    rep = import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(again, cache))
    assert len(rep.accepted) == 2 and again.posts == []
    with pytest.raises(GapmapError, match="1 to 10000"):
        geocode_addresses(rep.rejected.assign(id=0, street="", city="", state="", zip=""), session, batch_size=20_000)


def test_offline_lists_the_rows_still_needing_coordinates():
    with pytest.raises(
        GapmapError,
        match=r"could not be reached \(ConnectionError\)\. 4 addresses still need coordinates: 0: 101 Main St, Riverton; 1: 22 Oak Ave",
    ):
        import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(RecordedGeocoder(offline=True)))


def test_without_a_geocoder_rows_with_addresses_say_how_to_fix_them():
    rep = import_providers(G / "providers_with_addresses.csv")
    assert rep.accepted.empty
    assert set(rep.rejected["reason"]) == {
        "no coordinates (the file has no latitude/longitude columns), but an address: geocode it (the 'geocode addresses' option)"
    }


@pytest.mark.parametrize("damage", [lambda t: t[: len(t) // 2], lambda t: "[1, 2]", lambda t: '{"A | B": "Match"}', lambda t: "\x00\xff"])
def test_a_damaged_cache_is_set_aside_and_rebuilt(tmp_path, damage):
    cache = tmp_path / "geo.json"
    first = import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(RecordedGeocoder(), cache))
    cache.write_text(damage(cache.read_text()))  # cut short by a crash, or overwritten
    session, said = RecordedGeocoder(), []
    again = import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(session, cache, progress=said.append))
    assert len(again.accepted) == len(first.accepted) == 2 and len(session.posts) == 1  # geocoded again
    assert (tmp_path / "geo.json.damaged").exists() and any("damaged" in m for m in said)
    offline = import_providers(G / "providers_with_addresses.csv", geocoder=geocoder(RecordedGeocoder(offline=True), cache))
    assert len(offline.accepted) == 2  # the rebuilt cache answers


def test_garbage_in_a_geocoder_answer_is_an_unreadable_answer():
    text = '"1","a","Match","Exact","A","not-a-number,44.3"\n"2","b","Match","Exact","B","inf,44.3"\n"3","c","Match","Exact"\n'
    assert [r["status"] for r in parse_batch_answer(text)] == ["Unreadable answer"] * 3
