"""Dock scenario generation: time, peak memory and the scenario's own statistics.

Run: .venv/bin/python -m bench.bench_scenario [--tags N] [--doors D] [--duration S] [--seed K]
Without --tags it builds the default 10-minute, 4-door scenario; with --tags it builds
large_config(N) (e.g. --tags 100000 for the 100k-distinct-tag memory benchmark).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from firmware_sim.scenario.dock import DockConfig, build_dock, large_config


def main() -> None:
    """Build one scenario and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tags", type=int, default=0, help="target distinct tags (large_config)")
    parser.add_argument("--doors", type=int, default=16, help="doors of the large config")
    parser.add_argument("--duration", type=float, default=3600.0, help="large config, seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = (
        large_config(args.tags, n_doors=args.doors, duration_s=args.duration)
        if args.tags
        else DockConfig()
    )
    start = time.perf_counter()
    scenario = build_dock(config, args.seed)
    elapsed = time.perf_counter() - start
    stats = scenario.meta["stats"]
    assert isinstance(stats, dict)
    summary = {
        "seed": args.seed,
        "doors": config.geometry.n_doors,
        "duration_s": config.traffic.duration_s,
        "generate_s": round(elapsed, 2),
        "reads_per_s_generated": round(len(scenario.reads) / elapsed),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "reads_mb": round(scenario.reads.nbytes / 1e6, 1),
        **stats,
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
