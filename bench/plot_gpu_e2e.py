#!/usr/bin/env python3
"""Bar chart (PNG) of a bench/gpu_e2e.py JSON: tokens/s per system and
benchmark, log scale, with the batch-1 decode roofline.

    python3 bench/plot_gpu_e2e.py RESULT.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"attnc": "attnc (CUDA, f16, decode as CUDA graphs)",
          "attnc-nograph": "attnc without CUDA graphs", "hf": "HF transformers eager",
          "compiled": "HF + StaticCache + torch.compile (CUDA graphs)"}
COLORS = {"attnc": "tab:blue", "attnc-nograph": "lightsteelblue", "hf": "tab:orange",
          "compiled": "tab:green"}


def main():
    data = json.load(open(sys.argv[1]))
    results = data["results"]
    systems = [s for s in LABELS if any(s in r for r in results)]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    width = 0.8 / len(systems)
    for i, s in enumerate(systems):
        xs = [j + (i - (len(systems) - 1) / 2) * width for j, r in enumerate(results) if s in r]
        ys = [r[s]["median_tok_s"] for r in results if s in r]
        bars = ax.bar(xs, ys, width, label=LABELS[s], color=COLORS[s])
        for b, y in zip(bars, ys):
            ax.text(b.get_x() + b.get_width() / 2, y, f"{y:,.0f}", ha="center", va="bottom",
                    fontsize=6.5)
    dec1 = [j for j, r in enumerate(results) if r["kind"] == "decode" and r["batch"] == 1]
    if dec1:
        j = dec1[0]
        ax.hlines(data["roofline_b1_tok_s"], j - 0.45, j + 0.45, colors="k", linestyles="--",
                  label=f"b1 roofline ({data['roofline_b1_tok_s']:,.0f} tok/s)")
    ax.set_yscale("log")
    top = max(r[s]["median_tok_s"] for r in results for s in systems if s in r)
    ax.set_ylim(top=top * 40)  # room for the legend above the bars
    ax.set_xticks(range(len(results)))
    ax.set_xticklabels([r["name"] for r in results])
    ax.set_ylabel("tokens/s (median)")
    ax.set_title(f"{data['preset']} f16 on {data['gpu']['name']}, {data['date_utc'][:10]}",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()
