#!/bin/sh
# Runs attnc-run on a fake artifact and checks its output and its errors.
# usage: test-attnc-run.sh ATTNC_RUN MAKE_FAKE_ARTIFACT WORK_DIR
set -u
RUN=$1
MAKE=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
ART="$WORK/artifact"
"$MAKE" "$ART" || { echo "FAIL: cannot make the fake artifact"; exit 1; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error EXIT_CODE TEXT -- ARGS...: runs attnc-run, checks status and stderr.
expect_error() {
  code=$1; text=$2; shift 3
  "$RUN" "$@" >"$WORK/out" 2>"$WORK/err"
  got=$?
  [ "$got" = "$code" ] || fail "attnc-run $*: exit $got, expected $code ($(cat "$WORK/err"))"
  grep -q -- "$text" "$WORK/err" || fail "attnc-run $*: stderr lacks '$text': $(cat "$WORK/err")"
}

# One sequence, greedy: one line of 5 comma-separated ids, deterministic.
one=$("$RUN" "$ART" --tokens 1,2,3,4 --max-new-tokens 5) || fail "greedy run failed"
echo "$one" | grep -Eq '^[0-9]+(,[0-9]+){4}$' || fail "unexpected output '$one'"
[ "$("$RUN" "$ART" --tokens 1,2,3,4 --max-new-tokens 5)" = "$one" ] || fail "greedy not deterministic"

# Concurrent sequences print what they print alone, in order.
two=$("$RUN" "$ART" --tokens 5,6,7,8,9,10,11 --max-new-tokens 7)
both=$("$RUN" "$ART" --tokens 1,2,3,4 --tokens 5,6,7,8,9,10,11 --max-new-tokens 5 --max-batch-tokens 4 --kv-pages 64 --threads 2)
expected=$(printf '%s\n%s' "$one" "$(echo "$two" | cut -d, -f1-5)")
[ "$both" = "$expected" ] || fail "batched output '$both' differs from solo '$expected'"

# Sampling is seeded.
s1=$("$RUN" "$ART" --tokens 1,2,3 --temperature 0.9 --top-k 10 --top-p 0.95 --seed 7)
s2=$("$RUN" "$ART" --tokens 1,2,3 --temperature 0.9 --top-k 10 --top-p 0.95 --seed 7)
[ "$s1" = "$s2" ] || fail "seeded sampling not reproducible"

# --stats reports to stderr without changing stdout.
[ "$("$RUN" "$ART" --tokens 1,2,3,4 --max-new-tokens 5 --stats 2>"$WORK/err")" = "$one" ] || fail "--stats changed the output"
grep -q "5 generated" "$WORK/err" || fail "--stats: $(cat "$WORK/err")"

# Prompt logits: [3, 64] float32 = 128-byte header (for this shape) + 768 bytes.
"$RUN" "$ART" --tokens 1,2,3 --max-new-tokens 1 --dump-logits "$WORK/l.npy" >/dev/null || fail "dump-logits run failed"
[ "$(wc -c <"$WORK/l.npy")" -eq $((128 + 3 * 64 * 4)) ] || fail "l.npy has the wrong size"
head -c 6 "$WORK/l.npy" | tail -c 5 | grep -q NUMPY || fail "l.npy is not an .npy file"
"$RUN" "$ART" --tokens 1,2 --tokens 3 --max-new-tokens 1 --dump-logits "$WORK/m.npy" >/dev/null || fail "multi dump failed"
[ -f "$WORK/m-0.npy" ] && [ -f "$WORK/m-1.npy" ] || fail "per-sequence logits files missing"

# Command-line and input errors: clear message, nonzero exit.
expect_error 2 "unknown flag" -- "$ART" --tokens 1 --frobnicate 3
expect_error 2 "missing --tokens" -- "$ART"
expect_error 2 "missing the artifact directory" -- --tokens 1
expect_error 2 "max-new-tokens" -- "$ART" --tokens 1 --max-new-tokens -3
expect_error 2 "got 'x'" -- "$ART" --tokens 1,x
expect_error 2 "top-p" -- "$ART" --tokens 1 --top-p 1.5
expect_error 2 "missing value" -- "$ART" --tokens
expect_error 1 "outside the vocabulary" -- "$ART" --tokens 1,64
expect_error 1 "context" -- "$ART" --tokens "$(seq -s, 1 97 | sed 's/[0-9][0-9]*/1/g')"
expect_error 1 "manifest.json" -- "$WORK/nonexistent" --tokens 1
"$RUN" --help | grep -q "dump-logits" || fail "--help lacks --dump-logits"

# Damaged artifacts.
cp -r "$ART" "$WORK/truncated"
head -c 100 "$ART/weights.bin" >"$WORK/truncated/weights.bin"
expect_error 1 "truncated" -- "$WORK/truncated" --tokens 1
cp -r "$ART" "$WORK/old"
sed 's/"attnc_version": "[^"]*"/"attnc_version": "0.0.0"/' "$ART/manifest.json" >"$WORK/old/manifest.json"
expect_error 1 "0.0.0" -- "$WORK/old" --tokens 1

# KV pages exhausted: the long sequence fails, the short one is still printed.
"$RUN" "$ART" --tokens 1,2 --tokens "$(seq -s, 1 30)" --max-new-tokens 30 --kv-pages 10 >"$WORK/out" 2>"$WORK/err"
[ $? -eq 1 ] || fail "exhausted pages: expected exit 1"
grep -q "KV pages exhausted" "$WORK/err" || fail "exhausted pages: $(cat "$WORK/err")"
[ "$(sed -n 1p "$WORK/out" | tr ',' '\n' | wc -l)" -eq 30 ] || fail "short sequence not printed: $(cat "$WORK/out")"

if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "attnc-run: all checks passed"
