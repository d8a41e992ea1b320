#!/usr/bin/env python3
"""Checks attn-fold-weight-transforms on a real fixture against the blobs.

usage: check_folded_weights.py RAISED.mlir FOLDED.mlir

RAISED is the -attn-raise output (fused projections as attn.weight_concat of
onnx.Constant resource blobs, printed in full in the dialect_resources
section); FOLDED is the same after -attn-fold-weight-transforms
(--mlir-print-elementsattrs-with-hex-if-larger=0, so every dense constant is
one hex string). For every weight_concat of RAISED the script concatenates
its inputs' bytes itself (row-major, along the axis) and compares with the
constant that replaced it, found as the operand in the same position of the
same op in FOLDED (the folding changes no other op). Only the stdlib.
"""
import re
import sys

TENSOR = re.compile(r"tensor<([0-9x]+)x(f16|bf16|f32|f64)>")
ELEMENT_BYTES = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8}


def resources(text):
    """name -> bytes of the dialect_resources blobs (minus the alignment word)."""
    blobs = {}
    for name, hexdata in re.findall(r'^\s*([\w.$-]+): "0x([0-9A-Fa-f]*)"', text, re.M):
        blobs[name] = bytes.fromhex(hexdata)[4:]
    return blobs


def constants(text, blobs):
    """SSA name -> (shape, element bytes, data) of every float onnx.Constant."""
    out = {}
    for name, value, shape, elt in re.findall(
            r"(%\w+) = onnx.Constant\(\) \{value = (dense_resource<[^>]+>|dense<\"0x[0-9A-F]+\">)"
            r" : tensor<([0-9x]+)x(f16|bf16|f32|f64)>\}", text):
        if value.startswith("dense_resource"):
            data = blobs[value[len("dense_resource<"):-1]]
        else:
            data = bytes.fromhex(value[len('dense<"0x'):-2])
        out[name] = ([int(d) for d in shape.split("x")], ELEMENT_BYTES[elt], data)
    return out


def concat(parts, axis):
    """Row-major concatenation of (shape, element bytes, data) along axis."""
    shape0, esize, _ = parts[0]
    outer = 1
    for d in shape0[:axis]:
        outer *= d
    chunks = []
    for shape, _, data in parts:
        inner = esize
        for d in shape[axis:]:
            inner *= d
        chunks.append([data[o * inner:(o + 1) * inner] for o in range(outer)])
    return b"".join(b"".join(chunk[o] for chunk in chunks) for o in range(outer))


def op_lines(text):
    return [l.strip() for l in text.splitlines() if re.match(r"\s*%\w+(:\d+)? = \w+\.\w+", l)]


def main():
    raised_text, folded_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
    raised = constants(raised_text, resources(raised_text))
    folded = constants(folded_text, resources(folded_text))
    concats = {}
    for name, operands, axis in re.findall(
            r"(%\w+) = attn.weight_concat ([^{]*)\{axis = (\d+)", raised_text):
        concats[name] = ([o.strip() for o in operands.split(",")], int(axis))
    if not concats:
        print("no attn.weight_concat in the raised IR")
        return 1
    if "attn.weight_concat" in folded_text:
        print("an attn.weight_concat survived folding")
        return 1

    def value(name):
        if name in concats:
            operands, axis = concats[name]
            parts = [value(o) for o in operands]
            shape = list(parts[0][0])
            shape[axis] = sum(p[0][axis] for p in parts)
            return shape, parts[0][1], concat(parts, axis)
        return raised[name]

    # The ops reading a weight_concat, in order, and the operand position.
    def readers(lines, is_weight):
        found = []
        for line in lines:
            if not line.startswith("%") or " = attn.linear " not in line:
                continue
            operands = re.findall(r"%\w+", line.split(" {", 1)[0].split("=", 1)[1])
            found.append([(i, o) for i, o in enumerate(operands) if is_weight(o)])
        return found

    raised_reads = readers(op_lines(raised_text), lambda o: o in concats)
    folded_reads = readers(op_lines(folded_text), lambda o: True)
    checked = 0
    errors = []
    for r_ops, f_ops in zip(raised_reads, folded_reads):
        f_by_pos = dict(f_ops)
        for pos, name in r_ops:
            got = folded.get(f_by_pos.get(pos))
            want = value(name)
            if got is None:
                errors.append(f"{name}: no folded constant at operand {pos}")
            elif (got[0], got[2]) != (want[0], want[2]):
                errors.append(f"{name}: folded bytes or shape differ from the concatenated blobs")
            checked += 1
    if errors or checked == 0:
        print("\n".join(errors or ["nothing checked"]))
        return 1
    print(f"OK: {checked} folded weights equal the concatenated blobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
