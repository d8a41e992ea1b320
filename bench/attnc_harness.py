"""The attnc side of the benchmarks: the bench/attnc_bench.cpp child process,
which opens an artifact through libattnrt and answers one JSON line per
request line (prefill / decode / logits / quit), so a Python driver can
interleave attnc repetitions with its baseline's in one run."""
import json
import subprocess


class AttncHarness:
    def __init__(self, exe, artifact, threads, kv_pages, env=None, capture_stderr=False):
        """capture_stderr: keep the child's stderr (what the runtime prints as
        it exits, e.g. ATTNC_CUDA_STEP_TIMES's summary) for close() to return;
        otherwise it goes where this process's goes."""
        self.proc = subprocess.Popen([exe, artifact, str(threads), str(kv_pages)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE if capture_stderr else None,
                                     text=True, bufsize=1, env=env)
        self.info = self._read()  # the harness's first line: the opened engine

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("attnc_bench exited")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("attnc_bench: " + reply["error"])
        return reply

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read()

    @staticmethod
    def ids(prompts):
        """Request operand: one comma-separated id list per sequence."""
        return " ".join(",".join(map(str, row)) for row in prompts)

    def close(self, timeout=60):
        """Ends the child; returns its stderr if captured, else None."""
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        err = self.proc.stderr.read() if self.proc.stderr else None  # to its exit
        self.proc.wait(timeout=timeout)
        return err
