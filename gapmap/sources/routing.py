"""Travel times made offline from an OpenStreetMap extract: pyrosm reads the roads, pandana routes on them.

Needs the ``routing`` extra (``uv sync --extra routing``); nothing else in gapmap does. Why these engines
(measured in ``benchmarks/bench_routing.py``, figures in ``benchmarks/README.md``): pandana and pyrosm
have wheels for every Python gapmap supports (3.11 on), pandana's range query (contraction hierarchies,
C++ with OpenMP) returns every node within a time in one call, which is the cap the table needs, and its
speeds are ours to state. ``osrm-bindings`` has a real car profile (turn costs, signals) but wheels only
for Python 3.12 and later; ``pyvalhalla``'s newest release is for 3.12 too, and its 3.11 release ships
no tile builder.

The method, step by step:

1. **Roads**: the extract's drivable ways (pyrosm's ``driving`` network: each way split at every node).
   A segment's minutes are its length (haversine) at its speed: the way's ``maxspeed`` when it gives one
   (km/h, or ``mph``), else the speed of its road class in OSRM's car profile (:data:`SPEEDS_KMH`).
   One-way roads (``oneway=yes``, ``-1``, motorways and roundabouts) are driven one way only.
2. **Snapping**: every tract point (the population-weighted points gapmap already uses) and every
   provider is snapped to the nearest point of the nearest road segment, which is split there, so a trip
   starts and ends where the point meets the road, not at a far intersection. The distance from each
   point to its road (the snap distance) is reported, not driven.
3. **Routing**: from each tract, every node within ``max_minutes`` (pandana ``nodes_in_range``); the
   providers at those nodes make the tract's rows. Minutes are exact to 1e-6 a segment, rounded to 0.0001.
4. **Resumable per county**: each county's rows are written to ``<out>.parts/<county>.parquet`` as they
   are made; a run started again skips the counties already made with the same network, points and cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gapmap import schema as S
from gapmap.errors import DataSourceError, ParameterError
from gapmap.sources.files import DEFAULT_LIMITS, ReadLimits, UserFile, display_name, is_osm_pbf
from gapmap.sources.travel_times import MINUTES

__all__ = [
    "SPEEDS_KMH",
    "routing_available",
    "RoadNetwork",
    "read_road_network",
    "SnapReport",
    "TravelTimeBuild",
    "build_travel_times",
    "SiteRouter",
    "parse_maxspeed",
    "write_travel_times",
]

#: km/h by OSM road class when a way gives no maxspeed: OSRM's car profile (``profiles/car.lua``).
SPEEDS_KMH: dict[str, float] = {
    "motorway": 90,
    "motorway_link": 45,
    "trunk": 85,
    "trunk_link": 40,
    "primary": 65,
    "primary_link": 30,
    "secondary": 55,
    "secondary_link": 25,
    "tertiary": 40,
    "tertiary_link": 20,
    "unclassified": 25,
    "residential": 25,
    "living_street": 10,
    "service": 15,
    "road": 25,
}
_DEFAULT_KMH = 25.0
#: pandana keeps an edge's cost as a whole number of thousandths: costs are given in thousandths of a
#: minute, so a trip's minutes are exact to 1e-6 a segment (0.001 a segment would add up over a long trip)
_SCALE = 1000.0
_EARTH_M = 6_371_008.8
#: pandana prints its progress from C++ and is not known to be safe from several threads at once
_LOCK = threading.Lock()
_INSTALL = "travel times from OpenStreetMap need the routing extra: run `uv sync --extra routing` (or pip install 'gapmap[routing]')"


def routing_available() -> bool:
    """Whether the routing extra (pandana, pyrosm) is installed."""
    try:
        import pandana  # noqa: F401
        import pyrosm  # noqa: F401
    except ImportError:
        return False
    return True


def parse_maxspeed(value: object) -> float:
    """km/h of an OSM ``maxspeed`` value (``"50"``, ``"35 mph"``, ``"50;30"``: the first), NaN if none."""
    if not isinstance(value, str):
        return float("nan")
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", value.lower())
    if not m:
        return float("nan")
    speed = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
    return speed if 3 <= speed <= 200 else float("nan")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence what C++ libraries print on the process's stdout (pandana's progress) while routing."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class RoadNetwork:
    """Drivable road segments: node points, and each segment's ends, length and minutes each way
    (``minutes_fwd`` from ``a`` to ``b``, ``minutes_bwd`` back; NaN where it cannot be driven)."""

    lon: np.ndarray
    lat: np.ndarray
    a: np.ndarray
    b: np.ndarray
    length_m: np.ndarray
    minutes_fwd: np.ndarray
    minutes_bwd: np.ndarray
    source: str
    digest: str

    @property
    def n_segments(self) -> int:
        return len(self.a)

    def save(self, folder: Path) -> None:
        """Write the network beside a dataset (``roads_nodes.parquet``, ``roads_segments.parquet``), so new
        sites of its scenarios are routed on it later."""
        pd.DataFrame({"lon": self.lon, "lat": self.lat}).to_parquet(folder / "roads_nodes.parquet", index=False)
        segments = pd.DataFrame(
            {"a": self.a, "b": self.b, "length_m": self.length_m, "minutes_fwd": self.minutes_fwd, "minutes_bwd": self.minutes_bwd}
        )
        segments.to_parquet(folder / "roads_segments.parquet", index=False)
        (folder / "roads.json").write_text(json.dumps({"source": self.source, "digest": self.digest}))

    @classmethod
    def load(cls, folder: Path) -> RoadNetwork | None:
        """The network saved beside a dataset by :meth:`save`, or None."""
        if not (folder / "roads.json").exists():
            return None
        meta = json.loads((folder / "roads.json").read_text())
        nodes = pd.read_parquet(folder / "roads_nodes.parquet")
        seg = pd.read_parquet(folder / "roads_segments.parquet")
        return cls(
            nodes["lon"].to_numpy(float),
            nodes["lat"].to_numpy(float),
            seg["a"].to_numpy(np.int64),
            seg["b"].to_numpy(np.int64),
            seg["length_m"].to_numpy(float),
            seg["minutes_fwd"].to_numpy(float),
            seg["minutes_bwd"].to_numpy(float),
            str(meta.get("source", "saved roads")),
            str(meta.get("digest", "")),
        )


def _check_extract(source: str | Path | UserFile, limits: ReadLimits) -> tuple[Path, str, Callable[[], None]]:
    """A path pyrosm may open: the user's own file (command line) after its checks, or a private copy of
    an upload under a name gapmap chose. Returns (path, shown name, cleanup)."""
    if isinstance(source, UserFile):
        data, shown = source.data, source.name
        if not shown.lower().endswith(".pbf"):
            raise DataSourceError(
                f"{shown}: expected an OpenStreetMap extract ending in .osm.pbf (such as oregon-latest.osm.pbf from Geofabrik)"
            )
        if len(data) > limits.max_osm_bytes:
            raise DataSourceError(
                f"{shown}: {len(data) / 2**20:,.0f} MB; gapmap routes on extracts of at most {limits.max_osm_bytes / 2**20:,.0f} MB"
            )
        if not is_osm_pbf(data[:64]):
            raise DataSourceError(f"{shown}: not an OpenStreetMap PBF extract (its first bytes are not an OSMHeader block)")
        folder = tempfile.mkdtemp(prefix="gapmap-osm-")
        path = Path(folder) / "extract.osm.pbf"
        path.write_bytes(data)

        def cleanup() -> None:
            path.unlink(missing_ok=True)
            os.rmdir(folder)

        return path, shown, cleanup
    path = Path(source)
    shown = display_name(path.name)
    if not path.name.lower().endswith(".pbf"):
        raise DataSourceError(
            f"{shown}: expected an OpenStreetMap extract ending in .osm.pbf (such as oregon-latest.osm.pbf from Geofabrik)"
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(64)
    except FileNotFoundError:
        raise DataSourceError(f"{shown}: no such file") from None
    except OSError as exc:
        raise DataSourceError(f"{shown}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if size > limits.max_osm_bytes:
        raise DataSourceError(
            f"{shown}: {size / 2**20:,.0f} MB; gapmap routes on extracts of at most {limits.max_osm_bytes / 2**20:,.0f} MB"
        )
    if not is_osm_pbf(head):
        raise DataSourceError(f"{shown}: not an OpenStreetMap PBF extract (its first bytes are not an OSMHeader block)")
    return path, shown, lambda: None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def read_road_network(source: str | Path | UserFile, limits: ReadLimits = DEFAULT_LIMITS) -> RoadNetwork:
    """The drivable roads of an OpenStreetMap extract (.osm.pbf), with minutes each way (module notes)."""
    if not routing_available():
        raise DataSourceError(_INSTALL)
    import pyrosm

    path, shown, cleanup = _check_extract(source, limits)
    try:
        digest = _digest(path)
        try:
            with _LOCK, _quiet():
                got = pyrosm.OSM(str(path)).get_network(network_type="driving", nodes=True)
        except Exception as exc:  # noqa: BLE001  # pyrosm raises many kinds on a damaged file
            raise DataSourceError(f"{shown}: the extract cannot be read ({type(exc).__name__})") from None
    finally:
        cleanup()
    if got is None or got[0] is None or not len(got[1]):
        raise DataSourceError(f"{shown}: the extract has no drivable roads")
    nodes, edges = got
    node_ids = nodes["id"].to_numpy(np.int64)
    order = np.argsort(node_ids)
    sorted_ids = node_ids[order]

    def position(ids: pd.Series) -> np.ndarray:
        v = ids.to_numpy(np.int64)
        k = np.clip(np.searchsorted(sorted_ids, v), 0, len(sorted_ids) - 1)
        if not (sorted_ids[k] == v).all():
            raise DataSourceError(f"{shown}: a road refers to a node the extract does not have")
        return order[k]

    a, b = position(edges["u"]), position(edges["v"])
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    length = _haversine_m(lon[a], lat[a], lon[b], lat[b])
    highway = edges["highway"].astype(str).to_numpy() if "highway" in edges else np.full(len(edges), "road")
    speed = np.array([parse_maxspeed(v) for v in (edges["maxspeed"] if "maxspeed" in edges else [None] * len(edges))])
    by_class = np.array([SPEEDS_KMH.get(h, _DEFAULT_KMH) for h in highway], dtype=float)
    speed = np.where(np.isfinite(speed), speed, by_class)
    minutes = length / 1000.0 / speed * 60.0
    oneway = edges["oneway"].astype(str).str.lower().to_numpy() if "oneway" in edges else np.full(len(edges), "")
    junction = edges["junction"].astype(str).str.lower().to_numpy() if "junction" in edges else np.full(len(edges), "")
    implied = np.isin(highway, ["motorway"]) | np.isin(junction, ["roundabout", "circular"])
    forward_only = np.isin(oneway, ["yes", "true", "1"]) | (implied & ~np.isin(oneway, ["no", "false", "0", "-1", "reverse"]))
    backward_only = np.isin(oneway, ["-1", "reverse"])
    fwd = np.where(backward_only, np.nan, minutes)
    bwd = np.where(forward_only, np.nan, minutes)
    return RoadNetwork(lon, lat, a.astype(np.int64), b.astype(np.int64), length, fwd, bwd, shown, digest)


def _haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return 2 * _EARTH_M * np.arcsin(np.sqrt(h))


@dataclass(frozen=True)
class SnapReport:
    """How far each point lies from the road it was snapped to, in metres."""

    kind: np.ndarray  # "tract" or "provider"
    ids: np.ndarray
    metres: np.ndarray

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"point": self.kind, "id": self.ids, "snap_m": np.round(self.metres, 1)})

    def summary(self) -> str:
        parts = []
        for kind in ("tract", "provider"):
            m = self.metres[self.kind == kind]
            if len(m):
                far = int((m > 1000).sum())
                parts.append(
                    f"{kind}s snapped to the nearest road: median {np.median(m):,.0f} m, largest {m.max():,.0f} m"
                    + (f", {far:,} more than 1 km away (their minutes start at the road)" if far else "")
                )
        return "; ".join(parts)


class _Graph:
    """The road network with every point's snap spot made a node, and pandana's network on it."""

    def __init__(self, net: RoadNetwork, lonlat: np.ndarray, reverse: bool = False):
        import shapely

        lat0 = float(np.nanmean(net.lat)) if len(net.lat) else 0.0
        kx = np.cos(np.radians(lat0)) * np.pi * _EARTH_M / 180.0
        ky = np.pi * _EARTH_M / 180.0
        self._k = (kx, ky)
        nx, ny = net.lon * kx, net.lat * ky
        segs = shapely.linestrings(np.stack([np.column_stack([nx[net.a], ny[net.a]]), np.column_stack([nx[net.b], ny[net.b]])], axis=1))
        self._tree = shapely.STRtree(segs)
        self._segs = segs
        self.net = net
        seg, frac, snap_m = self.snap(lonlat)
        self.snap_m = snap_m
        # split the snapped segments: new nodes at each distinct (segment, fraction) inside the segment
        n0 = len(net.lon)
        frac = np.round(frac, 9)
        at_a, at_b = frac <= 0.0, frac >= 1.0
        node = np.where(at_a, net.a[seg], np.where(at_b, net.b[seg], -1))
        inner = np.flatnonzero(node < 0)
        keys = pd.DataFrame({"seg": seg[inner], "f": frac[inner]})
        uniq = keys.drop_duplicates().sort_values(["seg", "f"]).reset_index(drop=True)
        new_id = n0 + np.arange(len(uniq))
        lookup = pd.MultiIndex.from_frame(uniq).get_indexer(pd.MultiIndex.from_frame(keys))
        node[inner] = new_id[lookup]
        self.point_node = node
        useg, uf = uniq["seg"].to_numpy(np.int64), uniq["f"].to_numpy(float)
        new_lon = net.lon[net.a[useg]] + uf * (net.lon[net.b[useg]] - net.lon[net.a[useg]])
        new_lat = net.lat[net.a[useg]] + uf * (net.lat[net.b[useg]] - net.lat[net.a[useg]])
        self.lon, self.lat = np.append(net.lon, new_lon), np.append(net.lat, new_lat)
        # chains: for each split segment, a -> n1 -> ... -> b at the pieces' share of its minutes
        split = np.zeros(net.n_segments, dtype=bool)
        split[useg] = True
        keep = np.flatnonzero(~split)
        frm, to, mins = [net.a[keep], net.b[keep]], [net.b[keep], net.a[keep]], [net.minutes_fwd[keep], net.minutes_bwd[keep]]
        if len(useg):
            starts = np.flatnonzero(np.r_[True, useg[1:] != useg[:-1]])
            ends = np.r_[starts[1:], len(useg)]
            for s0, s1 in zip(starts, ends, strict=True):
                sg = useg[s0]
                chain = np.concatenate([[net.a[sg]], new_id[s0:s1], [net.b[sg]]])
                share = np.diff(np.concatenate([[0.0], uf[s0:s1], [1.0]]))
                frm += [chain[:-1], chain[1:]]
                to += [chain[1:], chain[:-1]]
                mins += [share * net.minutes_fwd[sg], share * net.minutes_bwd[sg]]
        e_from, e_to, e_min = np.concatenate(frm), np.concatenate(to), np.concatenate(mins)
        if reverse:  # a search from x on the reversed roads finds the minutes from every node to x
            e_from, e_to = e_to, e_from
        ok = np.isfinite(e_min)
        import pandana

        with _LOCK, _quiet():
            self.pandana = pandana.Network(
                pd.Series(self.lon),
                pd.Series(self.lat),
                pd.Series(e_from[ok]),
                pd.Series(e_to[ok]),
                pd.DataFrame({MINUTES: e_min[ok] * _SCALE}),
                twoway=False,
            )

    def snap(self, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nearest road segment of each point, the point's place along it (0 at ``a``, 1 at ``b``) and
        its distance from it in metres."""
        import shapely

        kx, ky = self._k
        pts = shapely.points(np.asarray(lonlat[:, 0]) * kx, np.asarray(lonlat[:, 1]) * ky)
        idx, dist = self._tree.query_nearest(pts, return_distance=True, all_matches=False)
        seg = np.empty(len(pts), dtype=np.int64)
        snap_m = np.empty(len(pts))
        seg[idx[0]] = idx[1]
        snap_m[idx[0]] = dist
        return seg, shapely.line_locate_point(self._segs[seg], pts, normalized=True), snap_m

    def in_range(self, nodes: np.ndarray, max_minutes: float) -> pd.DataFrame:
        with _LOCK, _quiet():
            found = self.pandana.nodes_in_range(list(map(int, nodes)), float(max_minutes) * _SCALE)
        found[MINUTES] = found[MINUTES].to_numpy(float) / _SCALE
        return found


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=offsets[1:])
    return order, offsets


def _expand(src_items: np.ndarray, src_offsets: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ``keys[r]``, the items grouped under it: (row r repeated, item)."""
    counts = src_offsets[keys + 1] - src_offsets[keys]
    row = np.repeat(np.arange(len(keys)), counts)
    first = np.repeat(src_offsets[keys], counts)
    within = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
    return row, src_items[first + within]


@dataclass
class TravelTimeBuild:
    """What ``build_travel_times`` made: the long table, the snap distances and how long it took."""

    table: pd.DataFrame
    snaps: SnapReport
    max_minutes: float
    counties: int
    resumed: int
    seconds: float
    network: str
    router: SiteRouter | None = field(default=None, repr=False)

    def summary(self) -> str:
        again = f" ({self.resumed} of them from an earlier run)" if self.resumed else ""
        return (
            f"{len(self.table):,} tract-provider travel times within {self.max_minutes:g} minutes on the roads of {self.network}, "
            f"{self.counties} counties{again}, {self.seconds:,.1f} s. {self.snaps.summary()}."
        )


class SiteRouter:
    """Minutes from every tract to new sites on the same road network (for scenarios and siting).

    The tracts are snapped into the network once and its roads reversed (built on first use, kept): a site
    snaps to its nearest segment ``a -> b`` at place ``f``, and a tract's minutes to it are the shorter of
    (tract to ``a``) + ``f`` x the segment's minutes and (tract to ``b``) + ``(1 - f)`` x them back, the
    minutes to ``a`` and ``b`` coming from one range query each on the reversed roads. Exact but for a
    tract snapped onto the site's own segment (then the route through ``a`` or ``b`` is at most that one
    segment longer)."""

    def __init__(self, net: RoadNetwork, tract_lonlat: np.ndarray, max_minutes: float):
        self.net = net
        self.tract_lonlat = np.asarray(tract_lonlat, dtype=float)
        self.max_minutes = float(max_minutes)
        self._graph: _Graph | None = None

    def describe(self) -> str:
        return f"from the road network of {self.net.source}"

    def minutes_to(self, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tract positions, site positions, minutes) within ``max_minutes``, routed tract to site."""
        pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        if self._graph is None:
            with _quiet():
                self._graph = _Graph(self.net, self.tract_lonlat, reverse=True)
        g, net = self._graph, self.net
        seg, frac, _ = g.snap(pts)
        ends = np.concatenate([net.a[seg], net.b[seg]])  # reach a (then f of the segment) or b (then 1 - f back)
        offset = np.concatenate([frac * net.minutes_fwd[seg], (1 - frac) * net.minutes_bwd[seg]])
        site = np.concatenate([np.arange(len(pts)), np.arange(len(pts))])
        ok = np.isfinite(offset)
        ends, offset, site = ends[ok], offset[ok], site[ok]
        found = g.in_range(np.unique(ends), self.max_minutes)
        n_nodes = len(g.lon)
        t_nodes = g.point_node
        # found: (source = a site's end node, destination = any node, minutes from that node to the end)
        end_i, tract, minutes = _pairs(found, np.arange(n_nodes), t_nodes, n_nodes)
        # end_i is the node (origin index = node id); join with the (end node, site, offset) options
        opts = pd.DataFrame({"node": ends, "site": site, "offset": offset})
        hits = pd.DataFrame({"node": end_i, "tract": tract, "m": minutes}).merge(opts, on="node")
        hits["total"] = hits["m"] + hits["offset"]
        best = hits.groupby(["tract", "site"], sort=True)["total"].min().reset_index()
        best = best[best["total"] <= self.max_minutes]
        return best["tract"].to_numpy(np.int64), best["site"].to_numpy(np.int64), np.round(best["total"].to_numpy(float), 4)


def _pairs(found: pd.DataFrame, origin_node: np.ndarray, dest_node: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin positions, destination positions, minutes) from a range query's (source, destination, minutes)."""
    src = found["source"].to_numpy(np.int64)
    dst = found["destination"].to_numpy(np.int64)
    mins = found[MINUTES].to_numpy(float) if MINUTES in found else found.iloc[:, 2].to_numpy(float)
    d_order, d_off = _csr(dest_node, n_nodes)
    has = (d_off[dst + 1] - d_off[dst]) > 0
    src, dst, mins = src[has], dst[has], mins[has]
    o_order, o_off = _csr(origin_node, n_nodes)
    r1, dest = _expand(d_order, d_off, dst)
    r2, origin = _expand(o_order, o_off, src[r1])
    return origin, dest[r2], np.round(mins[r1][r2], 4)


def build_travel_times(
    net: RoadNetwork,
    tracts: pd.DataFrame,
    tract_lonlat: np.ndarray,
    providers: pd.DataFrame,
    max_minutes: float = 30.0,
    parts_dir: Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> TravelTimeBuild:
    """Minutes on the roads from every tract's point to every provider within ``max_minutes``, county by
    county (see the module notes). ``tracts`` needs ``geoid``; ``providers`` the provider contract's
    ``provider_id``, ``longitude``, ``latitude``. With ``parts_dir``, each county's rows are saved there
    and a county already made (same network, points and cap) is read back instead."""
    import time

    if not (np.isfinite(max_minutes) and 0 < max_minutes <= 240):
        raise ParameterError(f"max_minutes = {max_minutes!r}: expected minutes greater than 0 and at most 240")
    t0 = time.perf_counter()
    geoids = tracts[S.GEOID].astype(str).to_numpy(object)
    prov_ids = providers[S.PROVIDER_ID].astype(str).to_numpy(object)
    prov_lonlat = providers[[S.LONGITUDE, S.LATITUDE]].to_numpy(float)
    tract_lonlat = np.asarray(tract_lonlat, dtype=float)
    n_t = len(geoids)
    with _quiet():
        graph = _Graph(net, np.vstack([tract_lonlat, prov_lonlat]))
    t_nodes, p_nodes = graph.point_node[:n_t], graph.point_node[n_t:]
    snaps = SnapReport(
        np.array(["tract"] * n_t + ["provider"] * len(prov_ids), dtype=object), np.concatenate([geoids, prov_ids]), graph.snap_m
    )
    fingerprint = hashlib.sha256(
        json.dumps([net.digest, float(max_minutes)]).encode() + tract_lonlat.tobytes() + prov_lonlat.tobytes() + "|".join(prov_ids).encode()
    ).hexdigest()[:16]
    counties = pd.Series(geoids).str[:5].to_numpy(object)
    names = list(dict.fromkeys(counties))
    parts: list[pd.DataFrame] = []
    resumed = 0
    if parts_dir is not None:
        parts_dir.mkdir(parents=True, exist_ok=True)
    for k, county in enumerate(names):
        if progress:
            progress(k, len(names), county)
        part_path = parts_dir / f"{county}.parquet" if parts_dir is not None else None
        if part_path is not None and part_path.exists():
            try:
                old = pd.read_parquet(part_path)
                if old.attrs.get("fingerprint") == fingerprint or _fingerprint_of(part_path) == fingerprint:
                    parts.append(old[[S.GEOID, S.PROVIDER_ID, MINUTES]])
                    resumed += 1
                    continue
            except (OSError, ValueError):
                pass
        rows = np.flatnonzero(counties == county)
        found = graph.in_range(np.unique(t_nodes[rows]), max_minutes)
        o, d, m = _pairs(found, t_nodes[rows], p_nodes, len(graph.lon))
        ok = m <= max_minutes
        part = pd.DataFrame({S.GEOID: geoids[rows][o[ok]], S.PROVIDER_ID: prov_ids[d[ok]], MINUTES: m[ok]})
        part = part.sort_values([S.GEOID, MINUTES, S.PROVIDER_ID], kind="stable").reset_index(drop=True)
        if part_path is not None:
            _write_part(part, part_path, fingerprint)
        parts.append(part)
    if progress:
        progress(len(names), len(names), "")
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[S.GEOID, S.PROVIDER_ID, MINUTES])
    router = SiteRouter(net, tract_lonlat, max_minutes)
    return TravelTimeBuild(table, snaps, float(max_minutes), len(names), resumed, time.perf_counter() - t0, net.source, router)


def _write_part(part: pd.DataFrame, path: Path, fingerprint: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(part, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"gapmap_fingerprint": fingerprint.encode()})
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def _fingerprint_of(path: Path) -> str:
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return meta.get(b"gapmap_fingerprint", b"").decode()


def write_travel_times(table: pd.DataFrame, path: Path) -> None:
    """Save a made table: Parquet for a ``.parquet`` name, else CSV."""
    if path.suffix.lower() == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)
