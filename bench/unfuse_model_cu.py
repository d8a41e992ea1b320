#!/usr/bin/env python3
"""Rewrites a CUDA artifact's model.cu so that its quantized linears no longer
take their neighbours' work: each `rt::quantized_linear_gated` call becomes
`rt::quantized_linear_fused` into the product followed by
`rt::gated_activation`, and each `rt::quantized_linear_rope_kv` call becomes
`rt::quantized_linear_fused` into the product followed by
`rt::rope_kv_append` of its column ranges (what the code generator emitted
before those fusions). Rebuilding libmodel.so from the result with the same
nvcc command and kernel library (compiler/Compile.cpp buildCudaLibrary) gives
an A/B pair that differs only in the fused calls, for timing in one call.

  bench/unfuse_model_cu.py IN.cu OUT.cu [--keep gated|rope]

Prints how many calls of each kind were rewritten; exits 1 if none.
"""
import argparse
import re
import sys


def split_args(text):
    """Top-level comma-separated arguments of a call's argument list."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


GATED = re.compile(r"rt::quantized_linear_gated<rt::Activation::(\w+), (\d+), (\d+), (\w+)>"
                   r"\(ctx, (.*)\);\n")
ROPE = re.compile(r"rt::quantized_linear_rope_kv<(\d+), (\d+), (\w+), kPageSize, (\d+), (\d+), "
                  r"rt::RopeStyle::(\w+)((?:, rt::KvType::\w+)?)>\(ctx, (.*)\);\n")


def unfuse_gated(m):
    act, bits, group, asym, rest = m.groups()
    (x, norm, offset, eps, scratch, rows, k, values, scales, zeros, bias, n, product,
     y) = split_args(rest)
    width = int(n) // 2
    return (f"rt::quantized_linear_fused<{bits}, {group}, {asym}>(ctx, {x}, {norm}, {offset}, "
            f"{eps}, {scratch}, {rows}, {k}, {values}, {scales}, {zeros}, {bias}, {n}, nullptr, "
            f"{product});\n"
            f"  rt::gated_activation<rt::Activation::{act}>(ctx, {product}, {n}, ({product} + "
            f"{width}), {n}, {y}, {rows}, {width});\n")


def unfuse_rope(m):
    bits, group, asym, hd, rot, style, kv, rest = m.groups()
    (x, norm, offset, eps, scratch, rows, k, values, scales, zeros, bias, n, product, query,
     heads, positions, inv_freq, num_seqs, query_start, table, bps, cache,
     kv_heads) = split_args(rest)
    q_cols, kv_cols = int(heads) * int(hd), int(kv_heads) * int(hd)
    return (f"rt::quantized_linear_fused<{bits}, {group}, {asym}>(ctx, {x}, {norm}, {offset}, "
            f"{eps}, {scratch}, {rows}, {k}, {values}, {scales}, {zeros}, {bias}, {n}, nullptr, "
            f"{product});\n"
            f"  rt::rope_kv_append<Elem, kPageSize, {hd}, {hd}, {rot}, rt::RopeStyle::{style}{kv}>"
            f"(ctx, {query}, {heads}, ({product} + {q_cols}), ({product} + {q_cols + kv_cols}), "
            f"T, {positions}, {inv_freq}, {num_seqs}, {query_start}, {table}, {bps}, {cache}, "
            f"{kv_heads}, {n}, {n}, ({product} + 0), {n});\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("output")
    ap.add_argument("--keep", action="append", choices=["gated", "rope"], default=[],
                    help="leave these fused calls as they are")
    args = ap.parse_args()
    try:
        text = open(args.source).read()
    except OSError as e:
        print(f"unfuse_model_cu: cannot read {args.source}: {e.strerror}", file=sys.stderr)
        return 1
    counts = {}
    for kind, pattern, rewrite in (("gated", GATED, unfuse_gated), ("rope", ROPE, unfuse_rope)):
        if kind not in args.keep:
            text, counts[kind] = pattern.subn(rewrite, text)
    try:
        open(args.output, "w").write(text)
    except OSError as e:
        print(f"unfuse_model_cu: cannot write {args.output}: {e.strerror}", file=sys.stderr)
        return 1
    print(", ".join(f"{kind}: {n} rewritten" for kind, n in counts.items()))
    return 0 if any(counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
