#!/usr/bin/env python3
"""Checks `attnc inspect --json` of one fixture against the model's true
configuration in manifest.json (written by tools/export/export_hf_fixtures.py
from the Hugging Face config, not from attnc's output).

usage: check_inspect.py MANIFEST FIXTURE_NAME < inspect.json
"""
import json
import math
import sys


def expected_scale(cfg):
    # Gemma scales queries by query_pre_attn_scalar^-0.5, everyone else by head_dim^-0.5.
    # Granite states the scale itself (attention_multiplier).
    if cfg.get("attention_multiplier"):
        return cfg["attention_multiplier"]
    base = cfg.get("query_pre_attn_scalar") or cfg["head_dim"]
    return base ** -0.5


def expected_theta(cfg, windowed):
    local = cfg.get("rope_local_theta")
    return local if (windowed and local) else cfg["rope_theta"]


def main():
    manifest_path, name = sys.argv[1], sys.argv[2]
    cfg = json.load(open(manifest_path))[name]
    report = json.load(sys.stdin)
    errors = []

    def expect(what, got, want):
        ok = math.isclose(got, want, rel_tol=1e-5) if isinstance(want, float) and got is not None else got == want
        if not ok:
            errors.append(f"{what}: got {got!r}, expected {want!r}")

    layers = cfg["num_layers"]
    expect("layers", report["layers"], layers)
    expect("hidden_size", report["hidden_size"], cfg["hidden_size"])
    expect("vocab_size", report["vocab_size"], cfg["vocab_size"])
    # PyTorch's own parameter count (tied tables once), recorded by the export script.
    expect("parameters", report["parameters"], cfg["num_parameters"])
    expect("unraised_softmax", report["unraised_softmax"], 0)
    expect("kv_cache_bytes_per_token", report["kv_cache_bytes_per_token"],
           layers * cfg["num_kv_heads"] * 2 * cfg["head_dim"] * 4)
    heads, kv = cfg["num_heads"], cfg["num_kv_heads"]
    kind = "MHA" if heads == kv else ("MQA" if kv == 1 else "GQA")
    for i, layer in enumerate(report["layer_info"]):
        windowed = cfg["windowed_layers"][i]
        where = f"layer {i}"
        expect(f"{where} attention", layer["attention"], kind)
        expect(f"{where} num_heads", layer["num_heads"], heads)
        expect(f"{where} num_kv_heads", layer["num_kv_heads"], kv)
        expect(f"{where} head_dim", layer["head_dim"], cfg["head_dim"])
        expect(f"{where} scale", layer["scale"], expected_scale(cfg))
        expect(f"{where} causal", layer["causal"], True)
        expect(f"{where} window", layer["window"], cfg["sliding_window"] if windowed else None)
        softcap = cfg.get("attn_logit_softcapping")
        expect(f"{where} softcap", layer["softcap"], float(softcap) if softcap else None)
        expect(f"{where} padding_mask", layer["padding_mask"], True)
        expect(f"{where} qk_norm", layer["qk_norm"], bool(cfg.get("qk_norm")))
        expect(f"{where} norm", layer["norm"], cfg["norm"])
        rope = layer["rope"]
        if cfg["positions"] == "rope":
            if rope is None:
                errors.append(f"{where}: no rope")
            else:
                expect(f"{where} rope style", rope["style"],
                       cfg.get("rope_style") or "half_split")
                expect(f"{where} rotary_dim", rope["rotary_dim"],
                       int(cfg["head_dim"] * cfg["partial_rotary_factor"]))
                expect(f"{where} theta", rope.get("theta"), float(expected_theta(cfg, windowed)))
        else:
            expect(f"{where} rope", rope, None)
    if errors:
        print(f"{name}: " + "; ".join(errors))
        sys.exit(1)


if __name__ == "__main__":
    main()
