#!/usr/bin/env python3
"""Export small *trained* Hugging Face decoders to ONNX, for accuracy tests of
quantization.

The random-weight fixtures of export_hf_fixtures.py (hidden 64) say nothing
about how quantization moves a real model's predictions: their next-token
distributions are nearly flat, so rounding noise flips the argmax at will,
and their matrices are too narrow for 128-wide quantization groups. The
models here have every family's architecture from export_hf_fixtures.py at
hidden 128 (4 heads x head_dim 32), FFN 256, 2 layers, 256 byte tokens and
512 positions, and are trained (AdamW, a few hundred steps, on a GPU when
there is one) as byte-level language models on this repository's own
sources (byte_corpus.py). Their predictions on source text are peaked, like a real LM's,
which is what a top-1 agreement or KL measurement needs.

Each model is exported, stripped and verified with onnxruntime exactly as
export_hf_fixtures.py does (its export()/verify(); the sdpa model against the
same weights in eager attention), then written as FAMILY-IMPL.onnx (sdpa, or
eager for GPT-J) with a manifest.json entry that adds the training run:
steps, final training loss (nats per byte) and the corpus size.

Usage:
    python3 tools/export/export_trained_fixtures.py [--out test/fixtures/trained]
        [--only llama,gpt2] [--steps 600]
"""
import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_hf_fixtures as hf  # noqa: E402
from byte_corpus import corpus_bytes  # noqa: E402

SEQ = 256
BATCH = 64
LR = 2e-3
WARMUP = 50
TOLERANCE = 1e-3  # onnxruntime vs PyTorch, max abs logit difference

# The shape of every trained fixture (see the docstring).
SHAPE = dict(LAYERS=2, HIDDEN=128, HEADS=4, HEAD_DIM=32, FFN=256, VOCAB=256,
             MAX_POS=512, INIT_STD=0.02, JITTER_STD=0.0)


def train(model, data, steps, device, seed):
    """Next-byte training on random SEQ-byte windows of `data`; returns the
    mean loss of the last 20 steps."""
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.from_numpy(data.astype(np.int64))
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95),
                            weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / WARMUP)
        * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))))
    losses = []
    for _ in range(steps):
        starts = torch.randint(0, len(tokens) - SEQ - 1, (BATCH,), generator=gen)
        batch = torch.stack([tokens[s:s + SEQ] for s in starts]).to(device)
        out = model(input_ids=batch, attention_mask=torch.ones_like(batch),
                    labels=batch)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        losses.append(out.loss.item())
    model.to("cpu").eval()
    return float(np.mean(losses[-20:]))


def process(family, out, manifest, data, steps, device):
    impl = hf.FAMILY_IMPLS.get(family, hf.IMPLS)[-1]  # sdpa where there is one
    name = f"{family}-{impl}"
    path = os.path.join(out, name + ".onnx")
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out)
    os.close(fd)
    try:
        start = time.time()
        model, entry = hf.build_model(family, impl)
        loss = train(model, data, steps, device, hf.SEED)
        reference = model
        if impl != "eager":  # the same weights with eager attention
            reference = hf.build_model(family, "eager", cfg_impl=impl)[0]
            reference.load_state_dict(model.state_dict())
            reference.eval()
        size = hf.export(model, tmp)
        diffs, ref_diff = hf.verify(model, reference, tmp)
        worst = max(max(diffs.values()), ref_diff)
        if not worst < TOLERANCE:
            raise ValueError(f"onnxruntime / eager vs PyTorch differ by {worst:.3e}")
        entry["trained"] = {"steps": steps, "batch": BATCH, "seq": SEQ,
                            "final_loss": round(loss, 4),
                            "corpus_bytes": int(len(data))}
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        manifest[entry["file"]] = entry
        print(f"ok {name}.onnx {size / 1024:.0f} KiB, loss {loss:.3f} nats/byte, "
              f"max abs diff {worst:.1e}, {time.time() - start:.0f} s", flush=True)
        return True
    except Exception as e:  # report it and go on with the other models
        print(f"FAILED {name}: {type(e).__name__}: {e}", flush=True)
        if os.path.exists(tmp):
            os.remove(tmp)
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join("test", "fixtures", "trained"))
    ap.add_argument("--only", default="")
    ap.add_argument("--steps", type=int, default=600)
    args = ap.parse_args()
    for key, value in SHAPE.items():  # the family configs read these
        setattr(hf, key, value)
    families = [f for f in args.only.split(",") if f] or list(hf.FAMILIES)
    unknown = [f for f in families if f not in hf.FAMILIES]
    if unknown:
        ap.error(f"unknown families {unknown}; known: {list(hf.FAMILIES)}")
    os.makedirs(args.out, exist_ok=True)
    manifest = hf.load_manifest(args.out)
    hf.quiet_exporter()
    torch.backends.cuda.matmul.allow_tf32 = True
    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = corpus_bytes()
    print(f"torch {torch.__version__} on {device}, corpus {len(data)} bytes", flush=True)
    failed = [f for f in families
              if not process(f, args.out, manifest, data, args.steps, device)]
    hf.save_manifest(args.out, manifest)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"all {len(families)} models passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
