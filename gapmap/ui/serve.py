"""``gapmap serve``: the app for a team server, ready before its first visitor.

``streamlit run app.py`` imports the science stack (pandas, geopandas, numba, pandera: about 5 s on the
2-core machine) and computes the demo region when the first visitor arrives, so that visitor waits 6-7 s.
This entry point does both first, in the server's own process, then starts the same server: the caches
it fills are the ones the app's sessions read.

    uv run gapmap serve [--port 8501] [--address 0.0.0.0] [-- more streamlit options]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def warm() -> float:
    """Import what the pages import and compute the demo's metrics and summary into the app's caches;
    returns the seconds it took."""
    import warnings

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no script run context": expected outside a session
        import gapmap.ui.frame  # noqa: F401
        import gapmap.ui.widgets  # noqa: F401
        from gapmap.config import AnalysisParams
        from gapmap.ui import loaders

        loaders.load_metrics("demo", AnalysisParams())
        loaders.load_summary("demo", AnalysisParams())
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gapmap serve", description=__doc__.split("\n\n")[1])
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default=None, help="the address to listen on (default: Streamlit's)")
    args, rest = parser.parse_known_args(argv)
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    took = warm()
    print(f"gapmap: the app is loaded ({took:.1f} s); starting the server on port {args.port}", flush=True)
    from streamlit.web import cli as streamlit_cli

    options = ["--server.port", str(args.port)] + (["--server.address", args.address] if args.address else [])
    sys.argv = ["streamlit", "run", str(APP), *options, *[r for r in rest if r != "--"]]
    return streamlit_cli.main()


if __name__ == "__main__":
    raise SystemExit(main())
