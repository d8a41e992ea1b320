"""Reads the textual MLIR that attnc-opt prints, one op per line, for the
fixture checks (check_*.py). Enough for their questions (which op, which
operands, which result types and attributes); not a parser of MLIR."""
import re

OP_LINE = re.compile(r"^\s*(?P<results>%[^=]*?)\s*=\s*(?P<op>[a-z_]+\.[A-Za-z_.]+)\b(?P<rest>.*)$")
TENSOR = re.compile(r"tensor<([^>]*)>")


class Op:
    def __init__(self, name, results, rest):
        self.name = name
        # "%5:3" (three results) is named "%5"; uses refer to "%5#0" .. "%5#2".
        self.results = [r.strip().split(":")[0] for r in results.split(",")]
        self.rest = rest
        sig = rest.rsplit(" : ", 1)
        # Operands as written ("%5#1" for a result of a multi-result op),
        # before the attribute dictionary.
        self.operands = re.findall(r"%[\w#]+", sig[0].split("{", 1)[0])
        self.types = TENSOR.findall(sig[1]) if len(sig) > 1 else []
        attrs = re.search(r"\{([^{}]*)\}", sig[0])
        self.attrs = dict(re.findall(r"(\w+) = ([-+0-9.eE]+)", attrs.group(1))) if attrs else {}

    def dims(self, i):
        return self.types[i].split("x")[:-1]

    def num(self, key, default=None):
        value = self.attrs.get(key)
        return default if value is None else float(value)


def parse(text):
    """The ops of `text` in order, and the op defining each result name."""
    ops, defs = [], {}
    for line in text.splitlines():
        m = OP_LINE.match(line)
        if not m:
            continue
        op = Op(m["op"], m["results"], m["rest"])
        ops.append(op)
        for r in op.results:
            defs[r] = op
    return ops, defs
