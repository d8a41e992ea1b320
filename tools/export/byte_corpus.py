"""The text the trained fixtures learned from (export_trained_fixtures.py) and
the accuracy tests draw their prompts from: this repository's own sources,
as bytes. No dependencies beyond numpy, so tests can import it."""
import os

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS_DIRS = ("compiler", "passes", "dialects", "codegen", "runtime", "tools",
               "bench", "scripts", "test")
CORPUS_SUFFIXES = (".cpp", ".h", ".cu", ".cuh", ".py", ".td", ".mlir", ".md",
                   ".sh", ".txt", ".cmake")
SKIPPED_DIRS = ("fixtures", "__pycache__", "results")


def corpus_bytes(root=REPO):
    """The sources under CORPUS_DIRS (not the fixtures), sorted by path and
    joined by newlines, as one uint8 array."""
    chunks = []
    for top in CORPUS_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
            for name in sorted(filenames):
                if name.endswith(CORPUS_SUFFIXES):
                    with open(os.path.join(dirpath, name), "rb") as f:
                        chunks.append(f.read())
    return np.frombuffer(b"\n".join(chunks), dtype=np.uint8)
