#!/usr/bin/env python3
"""Where a replayed decode step's GPU time goes, from a bench/kernel_trace.cpp trace.

  kernel_timeline.py TRACE.csv [--graph N] [--skip K] [--json OUT.json] [--top 12]

Each replay of a CUDA graph is one step. The graph replayed most often is
taken (decode at one batch shape; --graph picks another) and its first
--skip replays (default 8) dropped as warm-up. Printed, as medians over the
remaining replays: the step's span (first start to last end), the kernels'
own time, what the gaps between them add and what overlaps (programmatic
dependent launch lets a kernel start before the one it depends on ends), the
idle time between one replay's end and the next one's start with the copies
made in it; time by kernel family (templates and arguments dropped); then
every kernel position with its duration and the gap from the previous
kernel's end (negative: an overlap). Exit 1 when the trace has no graph
replay, 2 on an unreadable trace.
"""
import argparse
import csv
import json
import re
import statistics
import sys
from collections import Counter, defaultdict


def short(name, width=70):
    """A kernel's name without arguments, return type and namespaces'
    anonymous parts; templates kept, cut to width."""
    n = name.replace("(anonymous namespace)::", "")
    depth, cut = 0, len(n)
    for i, c in enumerate(n):  # the argument list: the first '(' outside < >
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == "(" and depth == 0:
            cut = i
            break
    n = n[:cut]
    n = re.sub(r"^void ", "", n)
    return n if len(n) <= width else n[:width - 3] + "..."


def family(name):
    return short(name, 1000).split("<")[0]


def read(path):
    kernels, copies = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rec = (int(row["start_ns"]), int(row["end_ns"]), int(row["graph"]), row["detail"],
                   int(row["graph_node"]))
            (kernels if row["kind"] == "K" else copies).append(rec)
    kernels.sort()
    copies.sort()
    return kernels, copies


def replays(kernels, graph):
    """The kernels of `graph` cut into replays: a replay ends where a kernel
    outside it runs (another graph's, or one launched alone) or where one of
    its nodes comes again."""
    runs, current, nodes = [], [], set()
    for k in kernels:
        if k[2] != graph or k[4] in nodes:
            if current:
                runs.append(current)
            current, nodes = [], set()
            if k[2] != graph:
                continue
        current.append(k)
        nodes.add(k[4])
    if current:
        runs.append(current)
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--graph", type=int, help="graph id (default: the most replayed)")
    ap.add_argument("--skip", type=int, default=8, help="warm-up replays dropped")
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument("--top", type=int, default=12, help="kernel families listed")
    args = ap.parse_args()
    try:
        kernels, copies = read(args.trace)
    except (OSError, KeyError, ValueError) as e:
        print(f"kernel_timeline: {args.trace}: not a kernel_trace CSV ({e})", file=sys.stderr)
        return 2
    graphs = Counter(k[2] for k in kernels if k[2] != 0)
    if not graphs:
        print(f"kernel_timeline: {args.trace}: no kernel ran inside a CUDA graph", file=sys.stderr)
        return 1
    graph = args.graph if args.graph is not None else graphs.most_common(1)[0][0]
    runs = replays(kernels, graph)
    if not runs:
        print(f"kernel_timeline: {args.trace}: graph {graph} has no kernel", file=sys.stderr)
        return 1
    size = Counter(len(r) for r in runs).most_common(1)[0][0]
    steady = [r for r in runs[args.skip:] if len(r) == size] or [r for r in runs if len(r) == size]

    us = 1e-3
    rows = []
    for i in range(size):
        dur = statistics.median((r[i][1] - r[i][0]) * us for r in steady)
        gap = statistics.median((r[i][0] - r[i - 1][1]) * us for r in steady) if i else 0.0
        rows.append((i, short(steady[0][i][3]), dur, gap))
    span = statistics.median((r[-1][1] - r[0][0]) * us for r in steady)
    busy = statistics.median(sum(k[1] - k[0] for k in r) * us for r in steady)
    gaps_pos = statistics.median(
        sum(max(0, r[i][0] - r[i - 1][1]) for i in range(1, size)) * us for r in steady)
    overlap = statistics.median(
        sum(max(0, r[i - 1][1] - r[i][0]) for i in range(1, size)) * us for r in steady)
    idle, between = [], defaultdict(list)
    for a, b in zip(runs, runs[1:]):
        if len(a) != size or len(b) != size:
            continue
        idle.append((b[0][0] - a[-1][1]) * us)
        for c in copies:
            if a[-1][1] <= c[0] < b[0][0]:
                between[c[3].split(":")[0]].append((c[1] - c[0]) * us)
    families = defaultdict(float)
    for r in steady:
        for k in r:
            families[family(k[3])] += (k[1] - k[0]) * us / len(steady)

    print(f"graph {graph}: {len(runs)} replays of {size} kernels ({len(steady)} steady), "
          f"median us per step: span {span:.1f}, kernels' own time {busy:.1f}, "
          f"gaps {gaps_pos:.1f}, overlaps {overlap:.1f}"
          + (f", idle before the next replay {statistics.median(idle):.1f}" if idle else ""))
    for kind, ts in sorted(between.items()):
        names = {"1": "HtoD", "2": "DtoH", "8": "DtoD"}
        print(f"  between replays: {names.get(kind, 'copy ' + kind)} x{len(ts) / max(1, len(idle)):.1f} "
              f"per step, median {statistics.median(ts):.1f} us")
    print("by kernel family, us per step:")
    for name, t in sorted(families.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {t:8.1f}  {name}")
    print(f"{'#':>4} {'us':>7} {'gap':>6}  kernel")
    for i, name, dur, gap in rows:
        print(f"{i:>4} {dur:7.2f} {gap:6.2f}  {name}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"graph": graph, "replays": len(runs), "steady": len(steady),
                       "kernels_per_step": size, "span_us": span, "kernel_us": busy,
                       "gap_us": gaps_pos, "overlap_us": overlap,
                       "idle_between_us": statistics.median(idle) if idle else None,
                       "copies_between_us": {k: statistics.median(v) for k, v in between.items()},
                       "per_kernel": [{"index": i, "name": n, "us": d, "gap_us": g}
                                      for i, n, d, g in rows],
                       "by_family_us": dict(sorted(families.items(), key=lambda kv: -kv[1]))},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
