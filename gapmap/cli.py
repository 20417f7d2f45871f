"""The ``gapmap`` command: the app's jobs without a browser.

    gapmap metrics --region demo --out metrics.csv
    gapmap metrics --tracts tracts.geojson --providers providers.csv --out metrics.geojson
    gapmap demo-data --out data/demo

Exit status: 0 on success, 2 when the input is bad (the message names the file, row, column and
value), 1 on any other failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gapmap import __version__
from gapmap import schema as S
from gapmap.config import DECAYS, DEFAULT_PARAMS, AnalysisParams
from gapmap.errors import GapmapError

__all__ = ["main", "DEFAULT_DATA_DIR"]

#: Where the repository keeps its data; the CLI is an entry point, so it may know this.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
REGIONS = ("demo",)


def _add_input_args(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("input (either --region, or --tracts with --providers)")
    src.add_argument("--region", choices=REGIONS, help="a bundled region: 'demo' is synthetic demo data")
    src.add_argument("--tracts", type=Path, help="tract file: GeoJSON, GeoPackage, GeoParquet or shapefile")
    src.add_argument("--providers", type=Path, help="provider file: CSV, XLSX or GeoJSON with latitude and longitude")
    src.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=argparse.SUPPRESS)


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


def _load_inputs(args):
    """(tracts, providers, label) from --region or --tracts/--providers."""
    if args.region and (args.tracts or args.providers):
        raise GapmapError("give either --region or --tracts with --providers, not both")
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
    if args.tracts and args.providers:
        from gapmap.sources.geography import read_tracts
        from gapmap.sources.providers import read_providers

        tracts = read_tracts(args.tracts)
        providers = read_providers(args.providers)
        print(f"Tracts: {args.tracts} ({len(tracts)} tracts); providers: {args.providers} ({len(providers)} providers)")
        return tracts, providers, f"{args.tracts.name} + {args.providers.name}"
    raise GapmapError("no input: give --region demo, or --tracts FILE --providers FILE")


def _cmd_metrics(args) -> int:
    from gapmap.export import to_csv_bytes, to_geojson_bytes
    from gapmap.metrics import compute_metrics_table, compute_summary, compute_tract_metrics

    params = AnalysisParams(utilization=args.utilization, catchment_km=args.catchment_km, decay=args.decay)
    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".geojson"):
        raise GapmapError(f"--out {args.out}: the file name must end in .csv or .geojson")
    tracts, providers, _label = _load_inputs(args)
    result = compute_tract_metrics(tracts, providers, params)
    band = S.get_band(args.band).key
    if band not in result.bands:
        have = ", ".join(S.BANDS[b].key for b in result.bands)
        raise GapmapError(
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
    summary = compute_summary(result)
    for rec in summary.itertuples():
        print(
            f"  {rec.label}: {rec.children:,.0f} children, {rec.slots:,.0f} slots ({rec.slots_per_100:.1f} per 100); "
            f"{rec.cap_desert_tracts} CAP desert tracts holding {rec.share_in_cap_deserts:.0%} of the children"
        )
    for note in result.notes:
        print("Note: " + note)
    return 0


def _cmd_demo_data(args) -> int:
    from gapmap.sources.demo import DEMO_LABEL, write_demo

    for path in write_demo(args.out, args.seed):
        print(f"wrote {path} ({DEMO_LABEL})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gapmap", description="Child care deserts and access, by census tract.")
    parser.add_argument("--version", action="version", version=f"gapmap {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    m = sub.add_parser("metrics", help="supply, desert classes and access for every tract")
    _add_input_args(m)
    _add_param_args(m)
    m.add_argument("--band", default="under_5", help="age band of the unsuffixed columns: 0_2, 3_5 or under_5 (default)")
    m.add_argument("--out", type=Path, required=True, help="output file: .csv or .geojson")
    m.set_defaults(func=_cmd_metrics)

    d = sub.add_parser("demo-data", help="regenerate the synthetic demo region files")
    from gapmap.sources.demo import DEMO_SEED

    d.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR / "demo")
    d.add_argument("--seed", type=int, default=DEMO_SEED)
    d.set_defaults(func=_cmd_demo_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GapmapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
