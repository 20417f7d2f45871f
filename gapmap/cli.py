"""The ``gapmap`` command: the app's jobs without a browser.

    gapmap metrics --region demo --out metrics.csv
    gapmap metrics --tracts tracts.geojson --providers providers.csv --out metrics.geojson
    gapmap providers licensing_export.xlsx --region demo --out clean.csv --rejected rejected.csv
    gapmap fetch --state OR --counties Coos,Curry --year 2023 --out coos_curry.parquet
    gapmap rank --region demo --preset equity --top 25 --out priorities.xlsx
    gapmap report --region demo --out summary.html
    gapmap compare --region demo --by hub --out compare.csv
    gapmap travel-times --osm oregon-latest.osm.pbf --region south-coast --max-minutes 30 --out tt.parquet
    gapmap metrics --region south-coast --travel-times tt.parquet --compare-out distance_vs_time.csv --out metrics.csv
    gapmap demo-data --out data/demo

Exit status: 0 on success, 2 when the input is bad (the message names the file, row, column and
value), 1 on any other failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from gapmap import __version__
from gapmap.config import BAND_KEYS, DECAYS, DEFAULT_PARAMS, PRESET_NAMES, TRAVEL_DECAYS, AnalysisParams
from gapmap.errors import DataSourceError, GapmapError, ParameterError
from gapmap.sources.session import default_cache_dir, default_datasets_dir, new_http_session

__all__ = ["main", "DEFAULT_DATA_DIR"]

#: Where the repository keeps its data; the CLI is an entry point, so it may know this.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def _add_input_args(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("input (either --region, or --tracts with --providers)")
    src.add_argument("--region", metavar="NAME", help="'demo' (synthetic demo data) or a dataset saved in the app")
    src.add_argument("--tracts", type=Path, help="tract file: GeoJSON, GeoPackage, GeoParquet or shapefile")
    src.add_argument("--providers", type=Path, help="provider file: CSV, XLSX or GeoJSON with latitude and longitude")
    src.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=argparse.SUPPRESS)


def _add_provider_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("provider file")
    g.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="use COLUMN of the provider file for FIELD (e.g. --map capacity='Licensed Cap'); repeatable",
    )
    g.add_argument(
        "--values",
        action="append",
        default=[],
        metavar='FIELD="VALUE=CODE,..."',
        help='map the file\'s own words to codes, e.g. --values type="GFDC=family_home,SACC=other" (fields: type, funding, status); repeatable',
    )
    g.add_argument("--values-file", type=Path, help="a value mapping file (JSON, as the app downloads it after an import)")
    g.add_argument("--sheet", help="the sheet of an Excel file to read (default: the first that looks like a provider list)")
    g.add_argument("--keep-inactive", action="store_true", help="keep providers whose license status means closed, revoked, expired...")
    g.add_argument(
        "--fix-swapped", action="store_true", help="fix swapped coordinates: swap back latitude/longitude in rows where they look swapped"
    )
    g.add_argument("--crs", help="coordinate system of projected X/Y columns, e.g. EPSG:3857 or a state plane EPSG code")
    g.add_argument(
        "--geocode",
        action="store_true",
        help="find coordinates for rows that have an address and none (Census batch geocoder; answers are cached)",
    )


def _import(args, path: Path, tracts=None):
    """The provider import of a file, with the region's bounds when tracts are known."""
    from gapmap.sources.providers import RegionBounds, import_providers, parse_mapping, parse_value_mapping, read_value_mapping

    bounds = RegionBounds.of_tracts(tracts) if tracts is not None else None
    geocoder = None
    if args.geocode:
        from gapmap.sources.geocode import geocode_addresses

        session, cache = new_http_session(), default_cache_dir() / "geocoder.json"

        def geocoder(addresses):
            return geocode_addresses(addresses, session, cache, progress=lambda m: print(m, flush=True))

    values = read_value_mapping(args.values_file) if args.values_file else {}
    for fld, m in parse_value_mapping(args.values).items():  # --values wins over the file
        values.setdefault(fld, {}).update(m)
    rep = import_providers(
        path, parse_mapping(args.map), bounds, args.fix_swapped, args.crs, geocoder, values, args.keep_inactive, args.sheet
    )
    print(rep.summary())
    for note in rep.notes:
        print("  note: " + _flags(note))
    return rep


#: The import's options (gapmap.sources.provider_steps.OPTIONS) -> this command's flags.
_OPTION_FLAGS = {"fix_swapped": "--fix-swapped", "geocode": "--geocode", "keep_inactive": "--keep-inactive", "crs": "--crs",
                 "values": "--values or --values-file"}  # fmt: skip


def _count(n: int, noun: str) -> str:
    """'1 change', '3 changes'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _write(path: Path, data: bytes, about=None) -> None:
    """Write an output file; a CSV's provenance goes to ``<name>.about.txt`` beside it (the CSV itself
    starts with its header, so every tool reads it as it is)."""
    from gapmap.outputs.export import to_about_text

    path.write_bytes(data)
    if about and path.suffix.lower() == ".csv":
        path.with_suffix(".about.txt").write_text(to_about_text(about, [path.name]), encoding="utf-8")


def _flags(text: str) -> str:
    """A message of the core with its neutral option names replaced by this command's flags."""
    from gapmap.sources.provider_steps import OPTIONS

    for key, flag in _OPTION_FLAGS.items():
        text = text.replace(OPTIONS[key], flag)
    return text


def _print_rejected(rep, limit: int = 20) -> None:
    for rec in rep.rejected.head(limit).itertuples(index=False):
        print(f"  {rep.source}, row {rec.row}: {_flags(rec.reason)}", file=sys.stderr)
    if len(rep.rejected) > limit:
        print(f"  ... and {len(rep.rejected) - limit} more rejected rows", file=sys.stderr)


def _add_param_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("method")
    g.add_argument(
        "--utilization",
        type=float,
        default=DEFAULT_PARAMS.utilization,
        help="share of licensed capacity that operates (default 1.0; 0.85 is a published choice)",
    )
    g.add_argument(
        "--catchment-km",
        type=float,
        default=DEFAULT_PARAMS.catchment_km,
        help=f"access catchment in km (default {DEFAULT_PARAMS.catchment_km:g})",
    )
    g.add_argument("--decay", choices=list(DECAYS), default=DEFAULT_PARAMS.decay, help="distance decay of the access measure")
    g.add_argument(
        "--catchment-by-place",
        action="store_true",
        help="catchments that vary with place: urban / micropolitan / rural by RUCA code (a ruca column) or population density",
    )
    for name, label in (("urban", "urban"), ("town", "micropolitan"), ("rural", "small-town and rural")):
        default = getattr(DEFAULT_PARAMS, f"catchment_{name}_km")
        g.add_argument(
            f"--catchment-{name}-km", type=float, default=default, help=f"with --catchment-by-place: {label} tracts (default {default:g})"
        )
    t = p.add_argument_group("travel time (access by minutes on the road, not km as the crow flies)")
    t.add_argument(
        "--travel-times",
        type=Path,
        metavar="FILE",
        help="a travel-time table, CSV or Parquet, one row per tract and provider: geoid, provider_id, minutes "
        "(`gapmap travel-times` makes one from an OpenStreetMap extract); a saved region's own table is used without it",
    )
    t.add_argument(
        "--by-distance", action="store_true", help="measure access by straight-line distance even when the region has travel times"
    )
    t.add_argument(
        "--travel-bands",
        default=",".join(f"{b:g}" for b in DEFAULT_PARAMS.travel_bands),
        metavar="MINUTES",
        help="time bands' upper edges in minutes (default %(default)s: 0-5, 5-10, 10-15, 15-30)",
    )
    t.add_argument(
        "--travel-weights",
        default=",".join(f"{w:g}" for w in DEFAULT_PARAMS.travel_weights),
        metavar="WEIGHTS",
        help="one weight per band (default %(default)s: Luo & Qi 2009, Lee 2026; 0.03 for 15-30 minutes is gapmap's choice)",
    )
    t.add_argument(
        "--travel-decay", choices=list(TRAVEL_DECAYS), default=DEFAULT_PARAMS.travel_decay, help="bands, or a Gaussian on minutes"
    )
    t.add_argument(
        "--travel-speed-kmh",
        type=float,
        default=DEFAULT_PARAMS.travel_speed_kmh,
        help="straight-line speed that gives a new scenario site its minutes from the nearest provider in the table (default %(default)g)",
    )


def _add_draws_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("how sure (desert chance from the margins of error)")
    g.add_argument(
        "--draws",
        type=int,
        default=0,
        metavar="N",
        help="also compute each tract's chance of being a desert from N draws of its children within the ACS margin of error "
        "(1,000 is a good choice; Lee 2026): columns desert_chance_<rule>_<band>, confident_desert_..., uncertain_desert_...",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the draws (the same seed gives the same chances; default 0)")
    g.add_argument(
        "--capacity-sd", type=float, help="also draw each provider's operating share around the utilization (this standard deviation)"
    )


def _with_draws(args, result):
    """The result with the desert chance when ``--draws N`` asks for it, and the About sentence (or None)."""
    if not getattr(args, "draws", 0):
        return result, None
    from gapmap.metrics.probability import compute_desert_probability, with_desert_probability

    prob = compute_desert_probability(result, draws=args.draws, seed=args.seed, capacity_sd=args.capacity_sd)
    print(f"Desert chance: {args.draws:,} draws in {prob.seconds:.1f} s (seed {prob.seed})")
    return with_desert_probability(result, prob), prob.about()


def _numbers(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in str(text).split(",") if v.strip())
    except ValueError:
        raise ParameterError(f"{flag} {text!r}: expected numbers separated by commas, such as 5,10,15,30") from None


def _params(args) -> AnalysisParams:
    travel = {}
    if hasattr(args, "travel_bands"):
        travel = dict(
            travel_bands=_numbers(args.travel_bands, "--travel-bands"),
            travel_weights=_numbers(args.travel_weights, "--travel-weights"),
            travel_decay=args.travel_decay,
            travel_speed_kmh=args.travel_speed_kmh,
            access_by="distance" if getattr(args, "by_distance", False) else "travel_time",
        )
    return AnalysisParams(
        **travel,
        utilization=args.utilization,
        catchment_km=args.catchment_km,
        decay=args.decay,
        catchment_by_place=args.catchment_by_place,
        catchment_urban_km=args.catchment_urban_km,
        catchment_town_km=args.catchment_town_km,
        catchment_rural_km=args.catchment_rural_km,
    )


def _load_inputs(args):
    """(tracts, providers, label) from --region or --tracts/--providers."""
    from gapmap import schema as S

    if args.region and (args.tracts or args.providers):
        raise ParameterError("give either --region or --tracts with --providers, not both")
    if args.region == "demo":
        from gapmap.sources.demo import DEMO_LABEL, generate_demo, read_demo

        demo_dir = args.data_dir / "demo"
        if (demo_dir / "tracts.geojson").exists():
            tracts, providers = read_demo(demo_dir)
        else:  # installed without the repository's data folder: the same data, from the seed
            tracts, providers = generate_demo()
            tracts, providers = S.validate_tracts(tracts), S.validate_providers(providers)
        print(f"Region: demo ({DEMO_LABEL})")
        return tracts, providers, f"demo ({DEMO_LABEL})"
    if args.region:
        from gapmap.sources.datasets import list_datasets, read_dataset

        saved = list_datasets(default_datasets_dir())
        if args.region not in saved:
            have = ", ".join(["demo", *saved]) or "demo"
            raise ParameterError(f"--region {args.region!r}: no such region; available: {have} (save datasets on the app's Your data page)")
        tracts, providers = read_dataset(default_datasets_dir(), args.region)
        print(f"Region: {saved[args.region]} (saved dataset, {len(tracts)} tracts, {len(providers)} providers)")
        return tracts, providers, saved[args.region]
    if args.tracts and args.providers:
        from gapmap.sources.geography import read_tracts

        tracts = read_tracts(args.tracts)
        print(f"Tracts: {args.tracts} ({len(tracts)} tracts)")
        rep = _import(args, args.providers, tracts)
        if rep.accepted.empty:
            _print_rejected(rep)
            raise DataSourceError(f"{args.providers.name}: no provider row could be used (reasons above)")
        if len(rep.rejected) and not args.skip_rejected:
            _print_rejected(rep)
            raise DataSourceError(
                f"{args.providers.name}: {len(rep.rejected)} rows rejected (reasons above). Fix them, or run again with "
                "--skip-rejected to compute without them (`gapmap providers ... --rejected FILE` writes them out)."
            )
        return tracts, rep.accepted, f"{args.tracts.name} + {args.providers.name}"
    raise ParameterError("no input: give --region demo, or --tracts FILE --providers FILE")


def _travel_times(args, tracts, providers):
    """The checked travel-time table for this run: --travel-times FILE, else the saved region's own
    table, else None (access by distance). Rejected rows stop the run unless --skip-rejected."""
    from gapmap import schema as S
    from gapmap.sources.travel_times import check_travel_times, import_travel_times

    if getattr(args, "by_distance", False):
        return None
    geoids, ids = tracts[S.GEOID].to_numpy(object), providers[S.PROVIDER_ID].to_numpy(object)
    if getattr(args, "travel_times", None):
        imp = import_travel_times(args.travel_times, geoids, ids)
    elif getattr(args, "region", None) and args.region != "demo":
        from gapmap.sources.datasets import read_dataset_travel_times

        saved = read_dataset_travel_times(default_datasets_dir(), args.region)
        if saved is None:
            return None
        table, about = saved
        from gapmap.metrics import compute_tract_points
        from gapmap.sources.routing import RoadNetwork, SiteRouter, routing_available

        roads = RoadNetwork.load(default_datasets_dir() / args.region) if routing_available() else None
        router = SiteRouter(roads, compute_tract_points(tracts), float(about.get("max_minutes") or 30)) if roads is not None else None
        imp = check_travel_times(table, geoids, ids, f"{args.region}: saved travel times", about.get("max_minutes"), router)
    else:
        return None
    print(f"Travel times: {imp.summary()}")
    for note in imp.notes:
        print("Note: " + note)
    if len(imp.rejected) and not getattr(args, "skip_rejected", False):
        for rec in imp.rejected.head(20).itertuples():
            print(f"  row {rec.row}: {rec.reason} ({rec.geoid}, {rec.provider_id}, {rec.minutes})", file=sys.stderr)
        raise DataSourceError(
            f"{imp.source}: {len(imp.rejected):,} rows rejected (reasons above). Fix them, or run again with --skip-rejected "
            "to compute without them."
        )
    return imp.times


def _compute(args, tracts, providers, params):
    """The metrics run of a command: by travel time when a table is given or saved, else by distance."""
    from gapmap.metrics import compute_tract_metrics

    return compute_tract_metrics(tracts, providers, params, travel=_travel_times(args, tracts, providers))


def _cmd_metrics(args) -> int:
    from gapmap import schema as S
    from gapmap.metrics import compute_metrics_table, compute_summary
    from gapmap.outputs.export import to_csv_bytes, to_geojson_bytes

    params = _params(args)
    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".geojson"):
        raise ParameterError(f"--out {args.out}: the file name must end in .csv or .geojson")
    tracts, providers, _label = _load_inputs(args)
    result, _about = _with_draws(args, _compute(args, tracts, providers, params))
    band = S.get_band(args.band).key
    if band not in result.bands:
        have = ", ".join(S.BANDS[b].key for b in result.bands)
        raise ParameterError(
            f"the tract data has no {S.BANDS[band].children} column, so --band {band} cannot be used; bands available: {have}"
        )
    table = compute_metrics_table(result, band)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        args.out.write_bytes(to_csv_bytes(table))
    else:
        import geopandas as gpd

        gdf = gpd.GeoDataFrame(table, geometry=result.tracts.geometry.values, crs=result.tracts.crs)
        args.out.write_bytes(to_geojson_bytes(gdf))
    print(f"Wrote {len(table)} tracts to {args.out} (headline band: {S.BANDS[band].label})")
    print("Parameters: " + ", ".join(f"{k}={v}" for k, v in params.to_dict().items()))
    print(f"Catchments: {result.catchment_method}")
    if args.compare_out:
        from gapmap.metrics.access_compare import compute_access_comparison

        if result.travel is None:
            raise ParameterError("--compare-out compares access by distance and by travel time: add --travel-times FILE")
        cmp = compute_access_comparison(result, band)
        args.compare_out.parent.mkdir(parents=True, exist_ok=True)
        args.compare_out.write_bytes(to_csv_bytes(cmp))
        moved = cmp["change"].value_counts()
        print(
            f"Wrote {args.compare_out}: by travel time, {moved.get('worse by travel time', 0):,} tracts fall to a worse access class "
            f"and {moved.get('better by travel time', 0):,} rise to a better one than by distance ({S.BANDS[band].label})"
        )
    summary = compute_summary(result)
    for rec in summary.itertuples():
        print(
            f"  {rec.label}: {rec.children:,.0f} children, {rec.slots:,.0f} slots ({rec.slots_per_100:.1f} per 100); "
            f"{rec.cap_desert_tracts} CAP desert tracts holding {rec.share_in_cap_deserts:.0%} of the children"
        )
    for note in result.notes:
        print("Note: " + note)
    return 0


def _cmd_providers(args) -> int:
    from gapmap.outputs.export import to_csv_bytes

    tracts = None
    if args.region or args.tracts:
        args.providers = None
        if args.region:
            tracts = _load_inputs(args)[0]
        else:
            from gapmap.sources.geography import read_tracts

            tracts = read_tracts(args.tracts)
    rep = _import(args, args.file, tracts)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(to_csv_bytes(rep.accepted))
        print(f"Wrote {len(rep.accepted)} accepted rows to {args.out}")
    if args.rejected:
        args.rejected.parent.mkdir(parents=True, exist_ok=True)
        args.rejected.write_bytes(to_csv_bytes(rep.rejected))
        print(f"Wrote {len(rep.rejected)} rejected rows, with a reason column, to {args.rejected}")
    elif len(rep.rejected):
        _print_rejected(rep)
    if rep.accepted.empty:
        print(f"error: {args.file.name}: no row was accepted", file=sys.stderr)
        return 2
    return 0


def _cmd_datasets(args) -> int:
    """Saved datasets, as the app's Your data page keeps them (the same folder): add, list, remove."""
    from gapmap.sources.datasets import delete_dataset, list_datasets, save_dataset

    folder = args.datasets_dir
    if args.action == "list":
        saved = list_datasets(folder)
        if not saved:
            print(f"No saved datasets in {folder}.")
        for key, label in saved.items():
            print(f"{key}\t{label}")
        return 0
    if args.action == "remove":
        if args.name not in list_datasets(folder):
            raise ParameterError(f"no saved dataset {args.name!r}: `gapmap datasets list` shows the saved ones")
        delete_dataset(folder, args.name)
        print(f"Removed the dataset {args.name!r}.")
        return 0
    if args.tracts is None or args.providers_file is None:
        raise ParameterError("datasets add needs --tracts FILE and --providers FILE")
    from gapmap.sources.geography import read_tracts

    tracts = read_tracts(args.tracts)
    rep = _import(args, args.providers_file, tracts)
    if rep.accepted.empty:
        raise ParameterError(f"{args.providers_file.name}: no provider row was accepted, so there is nothing to save")
    sources = {"tracts": args.tracts.name, "providers": rep.summary()}
    extra = {}
    if args.travel_times:
        from gapmap import schema as S
        from gapmap.sources.travel_times import import_travel_times

        geoids, ids = tracts[S.GEOID].to_numpy(object), rep.accepted[S.PROVIDER_ID].to_numpy(object)
        imp = import_travel_times(args.travel_times, geoids, ids)
        print(f"Travel times: {imp.summary()}")
        for note in imp.notes:
            print("Note: " + note)
        extra = {"travel_times": imp.times.to_frame(geoids, ids), "travel_about": imp.about()}
        sources["travel_times"] = imp.summary()
    key = save_dataset(folder, args.name, tracts, rep.accepted, sources, args.replace, rep.about(), rep.rejected, **extra)
    print(
        f"Saved the dataset {args.name!r} as {key!r}: {len(tracts):,} tracts; providers: {rep.rows_read:,} rows read = "
        f"{len(rep.accepted):,} accepted + {len(rep.rejected):,} rejected. The app lists it under Data; "
        f"the CLI reads it with --region {key}."
    )
    if len(rep.rejected):
        _print_rejected(rep)
    return 0


def _cmd_fetch(args) -> int:
    import os

    from gapmap.outputs.export import to_geojson_bytes
    from gapmap.sources.geography import fetch_region

    counties = [c.strip() for c in args.counties.split(",") if c.strip()] if args.counties else None
    key = os.environ.get("CENSUS_API_KEY")  # read here, passed on, never printed
    tracts, path = fetch_region(
        args.state,
        counties,
        args.year,
        key,
        new_http_session(),
        args.cache_dir,
        progress=lambda m: print(m, flush=True),
        refresh=args.refresh,
    )
    water = int(tracts["water_only"].sum()) if "water_only" in tracts.columns else 0
    print(f"{len(tracts)} tracts ({water} water-only, left out of the analysis); cached at {path}")
    if args.out:
        suffix = args.out.suffix.lower()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if suffix in (".parquet", ".geoparquet"):
            tracts.to_parquet(args.out)
        elif suffix == ".geojson":
            args.out.write_bytes(to_geojson_bytes(tracts))
        elif suffix == ".gpkg":
            tracts.to_file(args.out, driver="GPKG")
        else:
            raise ParameterError(f"--out {args.out}: the file name must end in .parquet, .geojson or .gpkg")
        print(f"Wrote {args.out}; use it with: gapmap metrics --tracts {args.out} --providers YOUR_PROVIDERS.csv --out metrics.csv")
    return 0


def _ranking_inputs(args):
    from gapmap import schema as S
    from gapmap.analysis.ranking import PRESETS

    if args.preset not in PRESETS:
        raise ParameterError(f"--preset {args.preset!r}: expected one of {', '.join(PRESETS)}")
    weights = PRESETS[args.preset]
    if args.band:
        weights = dataclasses.replace(weights, band=S.get_band(args.band).key)
    if args.confident_first:
        if not args.draws:
            raise ParameterError("--confident-first needs the desert chance: add --draws N (1,000 is a good choice)")
        weights = dataclasses.replace(weights, confident_first=args.confident_first)
    params = _params(args)
    tracts, providers, label = _load_inputs(args)
    result, chance = _with_draws(args, _compute(args, tracts, providers, params))
    return result, weights, params, label, chance


def _cmd_rank(args) -> int:
    from gapmap.analysis.ranking import add_reasons, rank_tracts
    from gapmap.outputs.export import PRIORITY_FORMATS, priority_about, to_priority_bytes

    suffix = args.out.suffix.lower()
    if suffix not in PRIORITY_FORMATS:
        raise ParameterError(f"--out {args.out}: the file name must end in {', '.join(PRIORITY_FORMATS)}")
    result, weights, params, label, chance = _ranking_inputs(args)
    ranked = add_reasons(rank_tracts(result, weights), weights, args.top)
    about = priority_about(label, params, weights, args.preset, args.top, chance, result.travel.source if result.travel else None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from gapmap.glossary import describe_privacy

    data = to_priority_bytes(suffix, result, ranked, weights, args.top, about, privacy=args.privacy)
    _write(args.out, data, {**about, "Privacy": describe_privacy(args.privacy)})
    print(f"Wrote the top {min(args.top, len(ranked))} of {len(ranked)} tracts ({args.preset} weights, band {weights.band}) to {args.out}")
    for why in ranked["why"].head(5):
        print("  " + why)
    return 0


def _cmd_report(args) -> int:
    from gapmap.analysis.ranking import rank_areas, rank_tracts
    from gapmap.outputs.report import to_report_html

    result, weights, params, label, chance = _ranking_inputs(args)
    ranked = rank_tracts(result, weights)
    from gapmap.outputs.export import priority_about

    travel = result.travel.source if result.travel else None
    about = priority_about(label, params, weights, args.preset, args.top, chance, travel) | {"_weights": weights}
    title = args.title or f"Child care priorities: {label}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(to_report_html(result, ranked, rank_areas(result, ranked, 25), about, title, args.top))
    print(f"Wrote {args.out} (open it in a browser; File > Print makes a PDF)")
    return 0


def _cmd_simulate(args) -> int:
    from gapmap import schema as S
    from gapmap.analysis.scenarios import compare_outcomes, scenario_from_json, simulate_scenario
    from gapmap.outputs.export import to_csv_bytes
    from gapmap.sources.files import UserFile

    file = UserFile.from_path(args.scenario)
    scenario = scenario_from_json(file.data, file.name)
    params = _params(args)
    tracts, providers, label = _load_inputs(args)
    sim = simulate_scenario(_compute(args, tracts, providers, params), scenario)
    table = sim.before[[S.GEOID, S.NAME, S.COUNTY]].copy()
    for col in sim.after.columns:
        if col not in (S.GEOID, S.NAME, S.COUNTY):
            table[f"{col}_before"] = sim.before[col].to_numpy()
            table[f"{col}_after"] = sim.after[col].to_numpy()
    table["changed"] = False
    table.loc[sim.changed_tracts, "changed"] = True
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write(
        args.out, to_csv_bytes(table), {"Data": f"{label}.", "Scenario": f"{scenario.name!r}, {_count(len(scenario.changes), 'change')}."}
    )
    summary = compare_outcomes(sim)
    print(
        f"Scenario {scenario.name!r}: {_count(len(scenario.changes), 'change')}; {_count(len(sim.changed_tracts), 'tract')} affected; wrote {args.out}"
    )
    for rec in summary.itertuples():
        print(
            f"  {rec.band}: children in access deserts {rec.children_in_access_deserts_before:,.0f} -> {rec.children_in_access_deserts_after:,.0f}; "
            f"CAP desert tracts {rec.cap_desert_tracts_before} -> {rec.cap_desert_tracts_after}"
        )
    return 0


def _cmd_optimize(args) -> int:
    from gapmap import schema as S
    from gapmap.analysis.siting import build_coverage, chosen_sites, suggest_sites_exact, suggest_sites_greedy
    from gapmap.outputs.export import to_csv_bytes

    params = _params(args)
    tracts, providers, label = _load_inputs(args)
    band = S.get_band(args.band).key
    result = _compute(args, tracts, providers, params)
    candidates = None
    if args.candidates:
        from gapmap.sources.candidates import read_candidate_sites

        candidates = read_candidate_sites(args.candidates)
        print(f"Candidates: {len(candidates)} sites from {args.candidates}")
    cov = build_coverage(result, band, args.slots, candidates, args.objective)
    choice = suggest_sites_greedy(cov, args.sites, progress=lambda n, k: print(f"  site {n} of {k} chosen", flush=True))
    what = "children lifted out of access deserts" if args.objective == "lifted" else "children of unmet need served"
    print(
        f"Greedy: {args.sites} sites of {args.slots:g} slots (ages {S.BANDS[band].short}): {choice.covered_children:,.0f} {what} ({1000 * choice.seconds:.1f} ms)"
    )
    if args.exact:
        exact = suggest_sites_exact(cov, args.sites)
        ratio = choice.covered_children / exact.covered_children if exact.covered_children else 1.0
        print(f"Exact optimum: {exact.covered_children:,.0f} children ({1000 * exact.seconds:.1f} ms); greedy reaches {ratio:.1%} of it")
    sites = chosen_sites(cov, choice, args.slots, band)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write(
        args.out,
        to_csv_bytes(sites),
        {"data": label, "method": "greedy maximal covering", "covered children": round(choice.covered_children)},
    )
    print(f"Wrote {args.out}")
    return 0


def _cmd_compare(args) -> int:
    from gapmap import schema as S
    from gapmap.analysis.ranking import PRESETS
    from gapmap.outputs.export import COMPARE_FORMATS, to_compare_bytes, to_csv_bytes
    from gapmap.regions import ALL_TRACTS, list_region_sets, read_region_set
    from gapmap.regions.compare import choose_region_set, compare_about, compare_regions
    from gapmap.regions.equity import attach_ruca, read_ruca

    suffix = args.out.suffix.lower()
    if suffix not in COMPARE_FORMATS:
        raise ParameterError(f"--out {args.out}: the file name must end in {', '.join(COMPARE_FORMATS)}")
    if args.preset not in PRESETS:
        raise ParameterError(f"--preset {args.preset!r}: expected one of {', '.join(PRESETS)}")
    params = _params(args)
    tracts, providers, label = _load_inputs(args)
    if args.ruca:
        tracts = attach_ruca(tracts, read_ruca(args.ruca.read_bytes(), args.ruca.name))
    by_path = Path(args.by)
    if args.by not in ("county", "hub") and by_path.suffix:
        region_set = read_region_set(by_path)
    else:
        regions_dir = args.data_dir / "regions"
        region_set = choose_region_set(args.by, tracts, list_region_sets(regions_dir) if regions_dir.exists() else [])
    result = _compute(args, tracts, providers, params)
    names = [n.strip() for n in args.regions.split(",") if n.strip()] if args.regions else None
    weights = PRESETS[args.preset]
    comparison = compare_regions(result, region_set, names, weights, args.priority_share, args.rule)
    about = compare_about(comparison, label, params, result.travel.source if result.travel else None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write(args.out, to_compare_bytes(suffix, comparison, result, about), about)
    print(f"Regions: {region_set.label} ({len(comparison.regions)} compared)")
    b = "under_5" if "under_5" in result.bands else result.bands[0]
    short = S.BANDS[b].short
    for rec in comparison.rollup.to_dict("records"):
        mark = "  (whole data)" if rec["region"] == ALL_TRACTS else ""
        print(
            f"  {rec['region']}: {rec['tracts']} tracts, {rec[f'children_{b}']:,.0f} children {short} "
            f"(± {rec[f'children_{b}_moe']:,.0f}), {rec[f'slots_per_100_{b}']:.1f} slots per 100, "
            f"{rec[f'share_in_osu_deserts_{b}']:.0%} in OSU deserts, {rec.get('priority_tracts', 0)} priority tracts{mark}"
        )
    print(f"Wrote {len(comparison.rollup)} rows to {args.out}")
    if args.equity_out:
        args.equity_out.parent.mkdir(parents=True, exist_ok=True)
        _write(args.equity_out, to_csv_bytes(comparison.equity), about)
        print(f"Wrote who lives in the deserts ({len(comparison.equity)} rows) to {args.equity_out}")
    print(f"Rural or urban: {comparison.urbanicity_method}")
    for note in (*comparison.notes, *result.notes):
        print("Note: " + note)
    return 0


def _cmd_travel_times(args) -> int:
    import shutil

    from gapmap.metrics import compute_tract_points
    from gapmap.outputs.export import to_csv_bytes
    from gapmap.sources.routing import build_travel_times, read_road_network, write_travel_times

    suffix = args.out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ParameterError(f"--out {args.out}: the file name must end in .parquet or .csv")
    tracts, providers, label = _load_inputs(args)
    net = read_road_network(args.osm)
    print(f"Roads: {net.n_segments:,} drivable road segments in {net.source}")
    parts = args.out.with_name(args.out.name + ".parts")
    if args.fresh and parts.exists():
        shutil.rmtree(parts)

    def progress(done: int, total: int, county: str) -> None:
        if county:
            print(f"  county {done + 1} of {total} ({county})", flush=True)

    build = build_travel_times(net, tracts, compute_tract_points(tracts), providers, args.max_minutes, parts, progress)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_travel_times(build.table, args.out)
    shutil.rmtree(parts, ignore_errors=True)
    if args.snaps:
        args.snaps.write_bytes(to_csv_bytes(build.snaps.frame()))
    print(f"Wrote {args.out}: {build.summary()}")
    print(f"Use it with: gapmap metrics --travel-times {args.out} ... (same --region or --tracts/--providers: {label})")
    return 0


def _cmd_demo_data(args) -> int:
    from gapmap.sources.demo import DEMO_LABEL, DEMO_SEED, write_demo

    for path in write_demo(args.out, DEMO_SEED if args.seed is None else args.seed, args.regions_out):
        print(f"wrote {path} ({DEMO_LABEL})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gapmap", description="Child care deserts and access, by census tract.")
    parser.add_argument("--version", action="version", version=f"gapmap {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    m = sub.add_parser("metrics", help="supply, desert classes and access for every tract")
    _add_input_args(m)
    _add_param_args(m)
    _add_provider_args(m)
    _add_draws_args(m)
    m.add_argument("--skip-rejected", action="store_true", help="compute without the provider rows that were rejected (they are listed)")
    m.add_argument("--band", default="under_5", help=f"age band of the unsuffixed columns: {', '.join(BAND_KEYS)} (default under_5)")
    m.add_argument("--out", type=Path, required=True, help="output file: .csv or .geojson")
    m.add_argument(
        "--compare-out",
        type=Path,
        metavar="FILE",
        help="with travel times: also write access by distance against by travel time, per tract (CSV)",
    )
    m.set_defaults(func=_cmd_metrics)

    tt = sub.add_parser(
        "travel-times",
        help="make a travel-time table from an OpenStreetMap extract (needs the routing extra: uv sync --extra routing)",
    )
    tt.add_argument(
        "--osm", type=Path, required=True, help="an OpenStreetMap extract (.osm.pbf), such as oregon-latest.osm.pbf from Geofabrik"
    )
    _add_input_args(tt)
    _add_provider_args(tt)
    tt.add_argument("--skip-rejected", action="store_true", help="make the table without the provider rows that were rejected")
    tt.add_argument("--max-minutes", type=float, default=30.0, help="how far to look, in minutes on the road (default %(default)g)")
    tt.add_argument("--out", type=Path, required=True, help="the table: .parquet (compact) or .csv")
    tt.add_argument("--snaps", type=Path, help="also write each point's distance to its road (CSV)")
    tt.add_argument(
        "--fresh",
        action="store_true",
        help="make every county again (by default counties made by an earlier run of the same inputs are kept)",
    )
    tt.set_defaults(func=_cmd_travel_times)

    for cmd, helptext in (
        ("rank", "the priority list: which tracts to serve first, and why"),
        ("report", "a printable one-page summary (HTML)"),
    ):
        r = sub.add_parser(cmd, help=helptext)
        _add_input_args(r)
        _add_param_args(r)
        _add_provider_args(r)
        _add_draws_args(r)
        r.add_argument(
            "--confident-first",
            choices=["access", "cap", "osu"],
            help="rank the tracts that are confident deserts by this rule (a chance of 90%% or more) first; needs --draws",
        )
        r.add_argument("--skip-rejected", action="store_true", help=argparse.SUPPRESS)
        r.add_argument("--preset", default="balanced", help=f"weights: {', '.join(PRESET_NAMES)} (default balanced)")
        r.add_argument("--band", help="age band to rank on (default: the preset's)")
        r.add_argument("--top", type=int, default=25 if cmd == "rank" else 10, help="how many tracts to list")
        r.add_argument("--out", type=Path, required=True, help=".csv, .zip, .xlsx, .geojson or .gpkg" if cmd == "rank" else ".html")
        r.add_argument(
            "--privacy",
            action="store_true",
            help="list family child care homes with their tract only, never their location (Excel Providers sheet)",
        )
        if cmd == "report":
            r.add_argument("--title", help="the report's title")
        r.set_defaults(func=_cmd_rank if cmd == "rank" else _cmd_report)

    sm = sub.add_parser("simulate", help="what a scenario (added, new or closed slots) does to deserts and access")
    _add_input_args(sm)
    _add_param_args(sm)
    _add_provider_args(sm)
    sm.add_argument("--skip-rejected", action="store_true", help=argparse.SUPPRESS)
    sm.add_argument("--scenario", type=Path, required=True, help="scenario JSON (see gapmap.analysis.scenarios)")
    sm.add_argument("--out", type=Path, required=True, help="per-tract before/after CSV")
    sm.set_defaults(func=_cmd_simulate)

    op = sub.add_parser("optimize", help="where K new sites of S slots would lift the most children out of access deserts")
    _add_input_args(op)
    _add_param_args(op)
    _add_provider_args(op)
    op.add_argument("--skip-rejected", action="store_true", help=argparse.SUPPRESS)
    op.add_argument("--sites", type=int, default=5, help="how many new sites (K)")
    op.add_argument("--slots", type=float, default=60, help="slots at each new site (S)")
    op.add_argument("--band", default="0_2", help="age band of the new slots: 0_2, 3_5 or under_5")
    op.add_argument(
        "--objective",
        choices=["lifted", "unmet"],
        default="lifted",
        help="lifted: children lifted out of access deserts (default); unmet: unmet need met",
    )
    op.add_argument(
        "--candidates", type=Path, help="CSV/XLSX of candidate sites (name, latitude, longitude); default: every tract's centre"
    )
    op.add_argument("--exact", action="store_true", help="also solve the model exactly (small regions) and compare")
    op.add_argument("--out", type=Path, required=True, help="CSV of the suggested sites")
    op.set_defaults(func=_cmd_optimize)

    from census.core import ACS5Client

    f = sub.add_parser("fetch", help="tracts and ACS 5-year estimates from the Census Bureau (needs CENSUS_API_KEY)")
    f.add_argument("--state", required=True, help="state: name, postal code or FIPS (Oregon, OR, 41)")
    f.add_argument("--counties", help="comma-separated county names or FIPS codes (default: the whole state)")
    f.add_argument("--year", type=int, default=ACS5Client.default_year, help=f"ACS 5-year vintage (default {ACS5Client.default_year})")
    f.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="where fetched data is kept (default: your user cache)")
    f.add_argument("--refresh", action="store_true", help="fetch again even when the cache has the data")
    f.add_argument("--out", type=Path, help="also write the tracts to this .parquet, .geojson or .gpkg file")
    f.set_defaults(func=_cmd_fetch)

    pv = sub.add_parser("providers", help="import a provider list (a state licensing export): report, clean file, rejected rows")
    pv.add_argument("file", type=Path, help="CSV, XLSX or GeoJSON provider list")
    region = pv.add_mutually_exclusive_group()
    region.add_argument("--region", metavar="NAME", help="check locations against 'demo' or a saved dataset")
    region.add_argument("--tracts", type=Path, help="check locations against the region of a tract file")
    pv.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=argparse.SUPPRESS)
    _add_provider_args(pv)
    pv.add_argument("--out", type=Path, help="write the accepted rows (the provider contract's columns) to this CSV")
    pv.add_argument("--rejected", type=Path, help="write the rejected rows, with their row number and reason, to this CSV")
    pv.set_defaults(func=_cmd_providers)

    ds = sub.add_parser(
        "datasets",
        help="save, list or remove datasets for the app (a team server's administrator can load a state without the browser)",
        description="Datasets live in the folder the app reads (your user data folder; XDG_DATA_HOME is honoured).",
    )
    ds.add_argument("action", choices=["add", "list", "remove"])
    ds.add_argument("name", nargs="?", default="", help="the dataset's name (add) or key (remove)")
    ds.add_argument("--tracts", type=Path, help="add: tracts with ACS estimates (.parquet, .geojson or .gpkg, as `gapmap fetch` writes)")
    ds.add_argument("--providers", dest="providers_file", type=Path, help="add: the provider list (the licensing export as it is)")
    ds.add_argument("--replace", action="store_true", help="add: replace a saved dataset of the same name")
    ds.add_argument(
        "--travel-times", type=Path, metavar="FILE", help="add: a travel-time table (geoid, provider_id, minutes) saved with the dataset"
    )
    ds.add_argument("--datasets-dir", type=Path, default=default_datasets_dir(), help=argparse.SUPPRESS)
    _add_provider_args(ds)
    ds.set_defaults(func=_cmd_datasets)

    cp = sub.add_parser("compare", help="regions side by side: counties, hubs or your own regions, and who lives in the deserts")
    _add_input_args(cp)
    _add_param_args(cp)
    _add_provider_args(cp)
    cp.add_argument("--skip-rejected", action="store_true", help=argparse.SUPPRESS)
    cp.add_argument(
        "--by",
        default="county",
        help="county (default), hub (the bundled hub definition of the data's state), or a region file (.json, polygons, or a CSV of geoid,region)",
    )
    cp.add_argument("--regions", help="comma-separated region names to compare (default: every region with tracts)")
    cp.add_argument("--rule", choices=["osu", "cap", "access"], default="osu", help="deserts of the equity table (default osu)")
    cp.add_argument("--preset", default="balanced", help=f"weights that pick the priority tracts: {', '.join(PRESET_NAMES)}")
    cp.add_argument("--priority-share", type=float, default=0.10, help="share of all tracts counted as priority tracts (default 0.10)")
    cp.add_argument("--ruca", type=Path, help="CSV/XLSX of RUCA codes by tract (USDA ERS); default: a population-density rule")
    cp.add_argument("--equity-out", type=Path, help="also write who lives in the deserts (CSV)")
    cp.add_argument("--out", type=Path, required=True, help=".csv (one row per region), .xlsx (all tables) or .geojson (region polygons)")
    cp.set_defaults(func=_cmd_compare)

    sv = sub.add_parser(
        "serve",
        help="run the app for a team server, with the science stack and the demo loaded before the first visit",
        description="Loads the app, computes the demo region, then starts Streamlit on it (other Streamlit options after --).",
    )
    sv.add_argument("--port", type=int, default=8501, help="the port to listen on (default 8501)")
    sv.add_argument("--address", help="the address to listen on")
    sv.add_argument("streamlit_options", nargs=argparse.REMAINDER, help="after --: options for streamlit run")
    sv.set_defaults(func=_cmd_serve)

    d = sub.add_parser("demo-data", help="regenerate the synthetic demo region files")
    d.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR / "demo")
    d.add_argument("--seed", type=int, help="the generator's seed (default: the demo's own)")
    d.add_argument("--regions-out", type=Path, help="where demo-hubs.json goes (default: regions/ beside --out)")
    d.set_defaults(func=_cmd_demo_data)
    return parser


def _cmd_serve(args) -> int:
    """Hand over to gapmap.ui.serve in this process's place (the CLI itself never imports the app)."""
    import os

    argv = [sys.executable, "-m", "gapmap.ui.serve", "--port", str(args.port)]
    argv += ["--address", args.address] if args.address else []
    argv += [o for o in args.streamlit_options if o != "--"]
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GapmapError as exc:
        print(f"error: {_flags(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # writing --out: a folder that cannot be written, a name too long...
        where = Path(exc.filename).name if getattr(exc, "filename", None) else "a file"
        print(f"error: cannot write or read {where}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001  # one line, never a traceback; GAPMAP_DEBUG=1 shows it
        import os

        if os.environ.get("GAPMAP_DEBUG"):
            raise
        print(
            f"error: gapmap stopped on an unexpected problem ({type(exc).__name__}). Please report it; "
            "run again with GAPMAP_DEBUG=1 to see the details.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
