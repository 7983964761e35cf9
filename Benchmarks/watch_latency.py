#!/usr/bin/env python3
"""Watch latency: from the write of a module file to the new code answering a call.

    python3 Benchmarks/watch_latency.py [--treebeard PATH] [--saves 50] [--functions 100]

Runs `treebeard run --watch` on a program whose loop calls `(version)` of a 100-function
module every millisecond and prints it when it changes. The script saves a new version
(in-place write), takes the time, and waits for the program to print the new number: that
interval includes the debounce (20 ms by default), the reload and the next call. Each
backend is measured; p50 and p95 over the saves are printed.
"""
import argparse, os, statistics, subprocess, sys, tempfile, time, select

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module(version, functions):
    body = "\n".join(f"(defn f{i} [x] (+ x {i} {version}))" for i in range(functions))
    return f"(module lib)\n{body}\n(defn version [] {version})\n"


PROGRAM = """(module app)
(import lib)
(defn main []
  (loop [last -1]
    (let [v (lib:version)]
      (when (not= v last) (println v) (flush))
      (sleep 1)
      (recur v))))
"""


def measure(treebeard, backend, saves, functions, debounce):
    with tempfile.TemporaryDirectory() as directory:
        lib = os.path.join(directory, "lib.oxur")
        with open(lib, "w") as f:
            f.write(module(0, functions))
        with open(os.path.join(directory, "app.oxur"), "w") as f:
            f.write(PROGRAM)
        process = subprocess.Popen(
            [treebeard, "run", "--watch", f"--watch-backend={backend}", f"--watch-debounce={debounce}", "app.oxur"],
            cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            pending = b""

            def wait_for(expected):
                # Raw reads: a buffered readline could hold the answer while select waits.
                nonlocal pending
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        if line.strip() == str(expected).encode():
                            return time.perf_counter()
                    ready, _, _ = select.select([process.stdout], [], [], 0.5)
                    if ready:
                        pending += os.read(process.stdout.fileno(), 65536)
                process.kill()
                raise RuntimeError(f"no answer {expected} within 10 s; stderr:\n{process.stderr.read()}")

            wait_for(0)
            latencies = []
            for version in range(1, saves + 1):
                time.sleep(0.15)  # separate saves, so each is its own reload
                text = module(version, functions)
                start = time.perf_counter()
                with open(lib, "w") as f:
                    f.write(text)
                latencies.append((wait_for(version) - start) * 1000)
            return latencies
        finally:
            process.kill()
            process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--treebeard", default=os.path.join(ROOT, ".build", "release", "treebeard"))
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--functions", type=int, default=100)
    parser.add_argument("--debounce", type=int, default=20)
    args = parser.parse_args()
    args.treebeard = os.path.abspath(args.treebeard)
    print(f"{args.saves} saves of a {args.functions}-function module, debounce {args.debounce} ms")
    for backend in ("inotify", "poll"):
        latencies = sorted(measure(args.treebeard, backend, args.saves, args.functions, args.debounce))
        p50 = statistics.median(latencies)
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
        print(f"{backend:8} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {latencies[-1]:6.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
