#!/usr/bin/env python3
"""Where a decode step's kernels spend their time inside, from the per-block
records of a probe build (runtime/cuda/Probe.cuh, -DATTNC_CUDA_PROBE=ON,
$ATTNC_PROBE_OUT).

Each record: the launch site (a linear's weights, an attention layer's cache),
the block, its SM, and four global-timer marks: start, producers done (the
return of griddepcontrol.wait), main loop done (a linear: its first tile's
chunks; attention: its key tiles), end. Records of one site are cut into
launches where the starts jump by more than --split-us; launches are put in
order by their first start, and a step is the run of launches between two
launches of the first site seen. For each position of the step (median over
the steady steps), in us:

  start    the launch's first block start, after the previous launch's last end
           (negative: it started early, under programmatic dependent launch)
  release  first block past the wait, after the previous launch's last end
  skew     last block past the wait minus the first
  loop     median block: main loop done minus producers done
  tail     median block: end minus main loop done
  critical last block end minus first block past the wait
  late     last block end minus the median block end (the slowest block's lag)
  blocks   blocks recorded per launch
  size     a linear's output rows; attention: the keys of its first block

With --tiles, each linear size's blocks are grouped by the 16-row tiles the
block owns (decode_kernel: tiles b, b + grid, ... of ceil(size / 16)) and the
tiles all blocks on its SM own: median end after the launch's first release,
and the median block's loop, per group (does a block's end follow its own
share or its SM's?).
"""
import argparse
import json
import os
import statistics
import sys

import numpy as np

RECORD = np.dtype([("site", "<u8"), ("kind", "<u4"), ("block", "<u4"), ("smid", "<u4"),
                   ("size", "<u4"), ("ns", "<u8", 4), ("clock", "<u8", 4)])
KINDS = {1: "linear", 2: "attention"}


def launches(records, split_ns):
    """[(kind, site, records of one launch)] in order of first start."""
    out = []
    for site in np.unique(records["site"]):
        r = records[records["site"] == site]
        r = r[np.argsort(r["ns"][:, 0], kind="stable")]
        cuts = np.nonzero(np.diff(r["ns"][:, 0].astype(np.int64)) > split_ns)[0] + 1
        for part in np.split(r, cuts):
            out.append((int(part["kind"][0]), int(site), part))
    out.sort(key=lambda x: int(x[2]["ns"][:, 0].min()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("records")
    ap.add_argument("--split-us", type=float, default=50.0, help="gap that starts a new launch")
    ap.add_argument("--skip", type=int, default=3, help="first steps dropped")
    ap.add_argument("--json", help="write the per-position medians here")
    ap.add_argument("--tiles", action="store_true",
                    help="linears: block end times by the block's and its SM's tiles")
    args = ap.parse_args()
    try:
        size = os.path.getsize(args.records)
        if size % RECORD.itemsize:
            sys.exit(f"{args.records}: {size} bytes, not a whole number of {RECORD.itemsize}-byte "
                     "probe records (runtime/cuda/Probe.cuh)")
        rec = np.fromfile(args.records, dtype=RECORD)
    except OSError as e:
        sys.exit(f"{args.records}: {e.strerror}")
    if rec.size == 0:
        sys.exit(f"{args.records}: no records")
    ls = launches(rec, args.split_us * 1000)
    first_site = ls[0][1]
    steps, cur = [], []
    for l in ls:
        if l[1] == first_site and cur:
            steps.append(cur)
            cur = []
        cur.append(l)
    steps.append(cur)
    # Steady steps: the most common launch count (prefill / warm-up differ).
    common = statistics.mode(len(s) for s in steps)
    steady = [s for s in steps if len(s) == common][args.skip:]
    if not steady:
        sys.exit("no steady steps")
    cols = ["start", "release", "skew", "loop", "tail", "critical", "late", "blocks"]
    per_pos = []
    for i in range(common):
        vals = {c: [] for c in cols}
        for s in steady:
            kind, site, r = s[i]
            ns = r["ns"].astype(np.int64)
            prev_end = int(s[i - 1][2]["ns"][:, 3].max()) if i > 0 else None
            first_start, first_rel, last_rel = ns[:, 0].min(), ns[:, 1].min(), ns[:, 1].max()
            last_end = ns[:, 3].max()
            if prev_end is not None:
                vals["start"].append((first_start - prev_end) / 1e3)
                vals["release"].append((first_rel - prev_end) / 1e3)
            vals["skew"].append((last_rel - first_rel) / 1e3)
            vals["loop"].append(float(np.median(ns[:, 2] - ns[:, 1])) / 1e3)
            vals["tail"].append(float(np.median(ns[:, 3] - ns[:, 2])) / 1e3)
            vals["critical"].append((last_end - first_rel) / 1e3)
            vals["late"].append((last_end - float(np.median(ns[:, 3]))) / 1e3)
            vals["blocks"].append(len(r))
        row = {"position": i, "kind": KINDS.get(steady[0][i][0], "?"),
               "size": int(steady[0][i][2]["size"][0])}
        row.update({c: (statistics.median(v) if v else None) for c, v in vals.items()})
        per_pos.append(row)
    span = [(int(s[-1][2]["ns"][:, 3].max()) - int(s[0][2]["ns"][:, 0].min())) / 1e3 for s in steady]
    print(f"{len(rec)} records, {len(steps)} steps of which {len(steady)} steady "
          f"({common} probed launches); probed span median {statistics.median(span):.1f} us")
    print("   #  kind        size    start  release   skew    loop    tail  critical   late  blocks")
    for r in per_pos:
        f = lambda v: "      -" if v is None else f"{v:7.2f}"
        print(f"{r['position']:4d}  {r['kind']:9s} {r['size']:6d} {f(r['start'])} {f(r['release'])} {f(r['skew'])} "
              f"{f(r['loop'])} {f(r['tail'])} {f(r['critical'])}  {f(r['late'])} {r['blocks']:6.0f}")
    groups = tile_groups(steady, common) if args.tiles else []
    if groups:
        print("\nlinear  size  after             grid  block tiles  SM tiles  blocks   end (us after "
              "first release)  loop")
        for g in groups:
            print(f"      {g['size']:6d}  {g['after']:16s} {g['grid']:5d} {g['block_tiles']:11d} {g['sm_tiles']:9d} "
                  f"{g['blocks']:7d}   {g['end_median']:12.2f} (max {g['end_max']:6.2f})"
                  f"      {g['loop_median']:5.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"records": int(len(rec)), "steady_steps": len(steady), "launches": common,
                       "span_us": statistics.median(span), "positions": per_pos,
                       "tile_groups": groups}, fh, indent=1)


def tile_groups(steady, common):
    """Linear blocks grouped by (what ran before, size, grid, tiles of the block,
    tiles of its SM); "what ran before" tells apart linears of one size (o_proj
    after attention, down after gate_up)."""
    acc = {}
    for s in steady:
        for i in range(common):
            kind, _, r = s[i]
            if KINDS.get(kind) != "linear":
                continue
            prev = s[i - 1] if i > 0 else None
            before = ("-" if prev is None else KINDS.get(prev[0], "?") if KINDS.get(prev[0]) != "linear"
                      else f"linear {int(prev[2]['size'][0])}")  # attention's keys grow
            size, grid = int(r["size"][0]), len(r)
            tiles = (size + 15) // 16
            ns = r["ns"].astype(np.int64)
            first_rel = ns[:, 1].min()
            own = (tiles - r["block"].astype(np.int64) + grid - 1) // grid
            per_sm = {}
            for sm, t in zip(r["smid"], own):
                per_sm[int(sm)] = per_sm.get(int(sm), 0) + int(t)
            for j in range(len(r)):
                key = (size, before, grid, int(own[j]), per_sm[int(r["smid"][j])])
                a = acc.setdefault(key, ([], []))
                a[0].append((ns[j, 3] - first_rel) / 1e3)
                a[1].append((ns[j, 2] - ns[j, 1]) / 1e3)
    return [{"size": k[0], "after": k[1], "grid": k[2], "block_tiles": k[3], "sm_tiles": k[4],
             "blocks": len(v[0]),
             "end_median": float(np.median(v[0])), "end_max": float(np.max(v[0])),
             "loop_median": float(np.median(v[1]))} for k, v in sorted(acc.items())]


if __name__ == "__main__":
    main()
