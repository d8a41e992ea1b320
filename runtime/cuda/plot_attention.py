#!/usr/bin/env python3
"""Plot of a bench_attention.py result: one PNG, two panels (~1200 x 600 px).

  left:  prefill ours / SDPA-flash and ours / SDPA-cuDNN (TFLOP/s ratio) per
         row, grouped by dtype / head dim / kv heads, S on the x axis; solid
         filled markers causal, dashed hollow markers not.
  right: decode TB/s of K+V for ours / flash / cuDNN against context length,
         one colour per batch, with the measured copy bandwidth (and 75% of it,
         the target) as horizontal lines.
Usage: plot_attention.py RESULT.json OUT.png
"""
import json
import math
import sys

try:
    import matplotlib
    matplotlib.use("Agg")  # file output only; no display on the GPU machine
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory
except ImportError:
    sys.exit("plot_attention.py needs matplotlib: pip install matplotlib")

BASELINES = (("flash", "SDPA-flash", "tab:blue"), ("cudnn", "SDPA-cuDNN", "tab:orange"))
MASKS = ((True, "causal", "-", "full"), (False, "non-causal", "--", "none"))
DECODE_SYSTEMS = (("ours", "ours", "-", "o"), ("flash", "SDPA-flash", "--", "^"),
                  ("cudnn", "SDPA-cuDNN", ":", "s"))


def k_label(n):
    return f"{n // 1024}k" if n % 1024 == 0 else str(n)


def plot_prefill(ax, rows):
    rows = [r for r in rows if "skipped" not in r]
    if not rows:
        ax.text(0.5, 0.5, "no prefill rows", ha="center", va="center", transform=ax.transAxes)
        return
    groups = []  # (dtype, hd, kv heads) in run order
    for r in rows:
        key = (r.get("dtype", "f16"), r.get("head_dim", 128), r.get("kv_heads", 8))
        if key not in groups:
            groups.append(key)
    seqlens = sorted({r["S"] for r in rows})
    span = len(seqlens) + 1  # one empty slot between groups
    by_key = {(r.get("dtype", "f16"), r.get("head_dim", 128), r.get("kv_heads", 8), r["S"],
               r["causal"]): r for r in rows}
    top = 1.0
    for gi, (dt, hd, kvh) in enumerate(groups):
        xs = [gi * span + j for j in range(len(seqlens))]
        for causal, _, ls, fill in MASKS:
            for name, _, color in BASELINES:
                ys = []
                for S in seqlens:
                    r = by_key.get((dt, hd, kvh, S, causal), {})
                    ys.append(r.get(f"ratio_vs_{name}", math.nan))
                top = max([top] + [y for y in ys if not math.isnan(y)])
                ax.plot(xs, ys, ls=ls, color=color, marker="o" if causal else "s", ms=4,
                        fillstyle=fill, lw=1.2)
        if gi:
            ax.axvline(gi * span - 1, color="0.85", lw=0.8)
    ax.axhline(1.0, color="black", lw=0.8)
    ticks = [gi * span + j for gi in range(len(groups)) for j in range(len(seqlens))]
    ax.set_xticks(ticks)
    ax.set_xticklabels([k_label(S) for _ in groups for S in seqlens], fontsize=7, rotation=90)
    ax.set_xlim(-0.7, len(groups) * span - 1.3)
    ax.set_ylim(0, top * 1.15)
    # Group names under the S tick labels.
    tr = blended_transform_factory(ax.transData, ax.transAxes)
    heads = rows[0].get("heads", 32)
    for gi, (dt, hd, kvh) in enumerate(groups):
        ax.text(gi * span + (len(seqlens) - 1) / 2, -0.1, f"{dt} hd{hd}\n{heads}/{kvh} heads",
                transform=tr, ha="center", va="top", fontsize=8)
    ax.set_ylabel("ours / SDPA (TFLOP/s ratio; > 1: ours faster)")
    ax.set_title(f"Prefill, B·S = {rows[0]['B'] * rows[0]['S']} tokens, S on the x axis",
                 fontsize=10)
    handles = [Line2D([], [], color=c, lw=1.2, label=f"ours / {lab}") for _, lab, c in BASELINES]
    handles += [Line2D([], [], color="0.3", ls=ls, marker="o" if causal else "s", fillstyle=fill,
                       ms=4, label=lab) for causal, lab, ls, fill in MASKS]
    ax.legend(handles=handles, fontsize=7, ncol=4, loc="upper center")
    ax.grid(axis="y", color="0.92")


def plot_decode(ax, rows, copy_tb_s):
    rows = [r for r in rows if "skipped" not in r]
    if not rows:
        ax.text(0.5, 0.5, "no decode rows", ha="center", va="center", transform=ax.transAxes)
        return
    batches = sorted({r["B"] for r in rows})
    contexts = sorted({r["L"] for r in rows})
    cmap = plt.get_cmap("viridis")
    top = copy_tb_s or 0
    for bi, B in enumerate(batches):
        color = cmap(bi / max(1, len(batches) - 1) * 0.9)
        rs = sorted((r for r in rows if r["B"] == B), key=lambda r: r["L"])
        for name, _, ls, marker in DECODE_SYSTEMS:
            pts = [(r["L"], r[f"{name}_tb_s"]) for r in rs if f"{name}_tb_s" in r]
            if pts:
                ax.plot(*zip(*pts), ls=ls, marker=marker, color=color, ms=4, lw=1.2)
                top = max(top, max(y for _, y in pts))
    if copy_tb_s:
        ax.axhline(copy_tb_s, color="black", lw=1.0)
        ax.axhline(0.75 * copy_tb_s, color="black", lw=0.6, ls=(0, (1, 3)))
    ax.set_xscale("log", base=2)
    ax.set_xticks(contexts)
    ax.set_xticklabels([k_label(L) for L in contexts])
    ax.minorticks_off()
    ax.set_ylim(0, top * 1.35)  # headroom for the legend
    ax.set_xlabel("context length L (tokens)")
    ax.set_ylabel("TB/s of K + V read")
    r0 = rows[0]
    ax.set_title("Decode, %s hd%d %d/%d heads, 1 query token / sequence" % (
        r0.get("dtype", "f16"), r0.get("head_dim", 128), r0.get("heads", 32),
        r0.get("kv_heads", 8)), fontsize=10)
    sys_handles = [Line2D([], [], color="0.3", ls=ls, marker=m, ms=4, label=lab)
                   for _, lab, ls, m in DECODE_SYSTEMS]
    if copy_tb_s:
        sys_handles += [Line2D([], [], color="black", lw=1.0, label=f"copy {copy_tb_s:.2f} TB/s"),
                        Line2D([], [], color="black", lw=0.6, ls=(0, (1, 3)), label="75% of copy")]
    leg = ax.legend(handles=sys_handles, fontsize=7, loc="upper left", ncol=2)
    ax.add_artist(leg)
    b_handles = [Line2D([], [], color=cmap(bi / max(1, len(batches) - 1) * 0.9), lw=2,
                        label=f"B={B}") for bi, B in enumerate(batches)]
    # Lower right: under the B=1 curve at long contexts, the emptiest corner.
    ax.legend(handles=b_handles, fontsize=7, loc="lower right", ncol=3)
    ax.grid(color="0.92")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_attention.py RESULT.json OUT.png")
    with open(sys.argv[1]) as f:
        res = json.load(f)
    fig, (ax_p, ax_d) = plt.subplots(1, 2, figsize=(12, 6), dpi=100,
                                     gridspec_kw={"width_ratios": [1.6, 1]})
    plot_prefill(ax_p, res.get("prefill", []))
    plot_decode(ax_d, res.get("decode", []), res.get("copy_tb_s"))
    fig.suptitle("attnc CUDA paged attention vs PyTorch SDPA — %s, torch %s, page %s, %s" % (
        res.get("card", "?"), res.get("torch", "?"), res.get("page_size", "?"),
        res.get("date", "?")), fontsize=11)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.17, top=0.9, wspace=0.15)
    fig.savefig(sys.argv[2])
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
