#!/usr/bin/env python3
"""Treebeard benchmark suite: Oxur programs in Benchmarks/ against the CPython reference
programs in /work/shared/bench/python/.

    python3 Benchmarks/run.py --build            # build release, run everything (5 runs each)
    python3 Benchmarks/run.py fib tak --runs 10  # only some benchmarks
    python3 Benchmarks/run.py reload             # only the reload-latency benchmark

For each benchmark treebeard and python3 run alternately, N times each; every run is timed as a
whole process (wall clock, start-up included) and its output is checked against the expected
output. The table shows the medians and the ratio treebeard / python (lower is better for us).

The reload benchmark generates, for N in 10, 100, 1000, a module hot_N.oxur with N one-line
functions, then an Oxur driver that rewrites it 20 times with a new constant and times each
`(reload path)` with `(now-ns)`; python's reload.py N does the same with importlib.reload.
Its figure is the median milliseconds per reload (median over the 20 reloads of one process,
then the median of those over the runs).

Only the standard library is used. Exit status is 1 if any benchmark failed.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
PY_DIR = "/work/shared/bench/python"
DEFAULT_TREEBEARD = os.path.join(ROOT, ".build", "release", "treebeard")

# name -> (python reference program, expected stdout)
BENCHMARKS = {
    "startup": ("startup.py", "ok"),
    "fib": ("fib.py", "832040"),
    "tak": ("tak.py", "140"),
    "sumloop": ("sumloop.py", "50000005000000"),
    "vecsum": ("vecsum.py", "499999500000"),
    "hashmap": ("hashmap.py", "200000 19999900000"),
    "strcat": ("strcat.py", "488890"),
    "closures": ("closures.py", "749998500000"),
    "modcall": ("modcall.py", "12499997500000"),
    # Same loop calling a local closure; its python column is modcall.py again, the row exists
    # for the treebeard modcall / modcall_local ratio printed under the table.
    "modcall_local": ("modcall.py", "12499997500000"),
}
RELOAD_SIZES = (10, 100, 1000)
RELOAD_ROUNDS = 20

failures = []


def fail(what, detail):
    """Report a failure loudly; the run continues with the other benchmarks and exits 1."""
    bar = "!" * 78
    print(f"\n{bar}\nFAILED: {what}\n{detail.rstrip()}\n{bar}\n", file=sys.stderr, flush=True)
    failures.append(what)


def run_timed(cmd, cwd, env=None, timeout=600):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return time.perf_counter() - t0, None, f"timed out after {timeout} s", (e.stdout or "")
    elapsed = time.perf_counter() - t0
    return elapsed, p.returncode, p.stderr, p.stdout


def describe(cmd, cwd, rc, out, err):
    return (f"command: {' '.join(cmd)}\ncwd: {cwd}\nexit status: {rc}\n"
            f"--- stdout (last 2000 chars) ---\n{(out or '')[-2000:]}\n"
            f"--- stderr (last 2000 chars) ---\n{(err or '')[-2000:]}")


def debian_python():
    """Debian's own CPython, found through the package that ships it, when it is installed."""
    for package in ("python3.13-minimal", "python3.12-minimal", "python3.11-minimal"):
        try:
            files = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        for line in files.splitlines():
            if re.fullmatch(r"/usr/bin/python3\.\d+", line) and os.access(line, os.X_OK):
                return line
    return None


def python_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = PY_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def bench_program(name, args):
    py_file, expected = BENCHMARKS[name]
    tb_cmd = [args.treebeard, "run", os.path.join("Benchmarks", name + ".oxur")]
    py_cmd = [args.python, os.path.join(PY_DIR, py_file)]
    sides = [("treebeard", tb_cmd, ROOT, None), ("python", py_cmd, PY_DIR, python_env())]
    times = {"treebeard": [], "python": []}
    for _ in range(args.runs):
        for side, cmd, cwd, env in sides:
            elapsed, rc, err, out = run_timed(cmd, cwd, env, args.timeout)
            got = (out or "").strip()
            if rc != 0 or got != expected:
                fail(f"{name} ({side})",
                     f"expected output: {expected!r}\nactual output:   {got[-200:]!r}\n"
                     + describe(cmd, cwd, rc, out, err))
                return None
            times[side].append(elapsed)
    if args.verbose:
        for side in ("treebeard", "python"):
            print(f"  {name:14s} {side:9s} " + " ".join(f"{t:.3f}" for t in times[side]), flush=True)
    return statistics.median(times["treebeard"]), statistics.median(times["python"])


# --- reload latency -----------------------------------------------------------------------------

def oxur_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def reload_driver(n, path):
    """An Oxur program that loads hot_n from `path`, then RELOAD_ROUNDS times rewrites it with a
    new VERSION, times `(reload path)` alone and checks that the new code answers."""
    mod = f"hot_{n}"
    last = n - 1
    return f"""\
;; Generated by Benchmarks/run.py: reload latency for a module of {n} functions.
(def PATH {oxur_string(path)})

(defn source [v]
  (str "(module {mod})\\n(def VERSION " v ")\\n"
       (join "\\n" (map (fn [k] (str "(defn f" k " [x] (+ x " k " " v "))")) (range {n})))
       "\\n"))

(defn main []
  (spit PATH (source 0))
  (load PATH)
  (assert (= ({mod}:f{last} 1) (+ 1 {last} 0)))
  (let [ts (loop [v 1 ts []]
             (if (<= v {RELOAD_ROUNDS})
               (do
                 (spit PATH (source v))
                 (let [t0 (now-ns)
                       _ (reload PATH)
                       t1 (now-ns)]
                   (when (not (and (= ({mod}:f{last} 1) (+ 1 {last} v)) (= {mod}:VERSION v)))
                     (panic (str "reload " v " did not take effect: f{last} answers " ({mod}:f{last} 1))))
                   (recur (+ v 1) (conj ts (- t1 t0)))))
               ts))
        s (sort ts)
        mid (quot (count s) 2)
        median (if (even? (count s)) (/ (+ (nth s (- mid 1)) (nth s mid)) 2.0) (float (nth s mid)))]
    (println (str "reload oxur N={n} median_ms=" (/ median 1000000.0)
                  " min_ms=" (/ (first s) 1000000.0) " max_ms=" (/ (last s) 1000000.0)))))
"""


MEDIAN_RE = re.compile(r"reload (oxur|py) N=(\d+) median_ms=([0-9.eE+-]+)")


def parse_reload(out, lang, n):
    lines = [l for l in (out or "").splitlines() if not l.startswith("✓")]
    for line in lines:
        m = MEDIAN_RE.search(line)
        if m and m.group(1) == lang and int(m.group(2)) == n:
            return float(m.group(3)), line.strip()
    return None, "\n".join(lines)


def bench_reload(n, args, tmp):
    work = os.path.join(tmp, f"reload_{n}")
    os.makedirs(work, exist_ok=True)
    driver = os.path.join(work, f"reload_driver_{n}.oxur")
    with open(driver, "w") as f:
        f.write(reload_driver(n, os.path.join(work, f"hot_{n}.oxur")))
    tb_cmd = [args.treebeard, "run", driver]
    py_cmd = [args.python, os.path.join(PY_DIR, "reload.py"), str(n)]
    sides = [("oxur", tb_cmd, work), ("py", py_cmd, PY_DIR)]
    medians = {"oxur": [], "py": []}
    for _ in range(args.runs):
        for lang, cmd, cwd in sides:
            _, rc, err, out = run_timed(cmd, cwd, None, args.timeout)
            value, text = parse_reload(out, lang, n)
            if rc != 0 or value is None:
                fail(f"reload N={n} ({lang})", describe(cmd, cwd, rc, out, err))
                return None
            if args.verbose:
                print(f"  {text}", flush=True)
            medians[lang].append(value)
    return statistics.median(medians["oxur"]), statistics.median(medians["py"])


# --- main ---------------------------------------------------------------------------------------

def header(args):
    def cmd_out(cmd, cwd=ROOT):
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True).stdout.strip()
        except OSError:
            return "?"
    py_version = cmd_out([args.python, "--version"])
    commit = cmd_out(["git", "rev-parse", "--short", "HEAD"]) or "?"
    dirty = "; Sources/ had uncommitted changes when this ran" if cmd_out(["git", "status", "--porcelain", "--", "Sources"]) else ""
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(args.treebeard)))
    print(f"Treebeard benchmarks — {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.system()} {platform.release()}")
    print(f"treebeard: {args.treebeard} (built {built}; git HEAD {commit}{dirty})")
    print(f"python: {args.python} ({py_version})")
    try:
        print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    except OSError:
        pass
    print(f"runs: {args.runs} per side, alternating; whole-process wall clock; medians in seconds")
    print(flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*",
                        help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}, reload")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (default 5)")
    parser.add_argument("--build", action="store_true", help="swift build -c release --product treebeard --static-swift-stdlib first")
    parser.add_argument("--treebeard", default=DEFAULT_TREEBEARD, help="treebeard binary")
    # The CPython people actually run is the distribution's (Debian's is built with PGO and LTO,
    # from python3.11-minimal); the python3 first on PATH here is a slower pyenv build whose
    # start-up also reads a site .pth file. Fall back to the interpreter running this script.
    parser.add_argument("--python", default=debian_python() or sys.executable or "python3",
                        help="python interpreter (default: Debian's /usr/bin/python3.X when installed, "
                             "else the one running this script)")
    parser.add_argument("--reload-sizes", default=",".join(map(str, RELOAD_SIZES)),
                        help="comma-separated module sizes for the reload benchmark (default 10,100,1000)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run counts as failed")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run's time")
    args = parser.parse_args()

    known = list(BENCHMARKS) + ["reload"]
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")
    selected = args.names or known
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if args.build:
        # The Swift runtime linked statically: a third of start-up was the dynamic linker and
        # conformance look-ups across shared libraries (35.0 M -> 22.3 M instructions for
        # `treebeard eval 1`, callgrind). Only the executable is affected, not the library.
        cmd = ["swift", "build", "-c", "release", "--product", "treebeard", "--static-swift-stdlib"]
        print("$ " + " ".join(cmd), flush=True)
        if subprocess.run(cmd, cwd=ROOT).returncode != 0:
            print("build failed", file=sys.stderr)
            return 1
    if not os.access(args.treebeard, os.X_OK):
        print(f"no treebeard binary at {args.treebeard}; run with --build", file=sys.stderr)
        return 1

    header(args)
    rows = {}
    programs = [n for n in BENCHMARKS if n in selected]
    if programs:
        print(f"{'benchmark':<14} {'treebeard s':>12} {'python s':>10} {'ratio tb/py':>12}", flush=True)
        print("-" * 51, flush=True)
        for name in programs:
            result = bench_program(name, args)
            rows[name] = result
            if result is None:
                print(f"{name:<14} {'FAILED':>12}", flush=True)
            else:
                tb, py = result
                print(f"{name:<14} {tb:>12.3f} {py:>10.3f} {tb / py:>12.2f}", flush=True)
        if rows.get("modcall") and rows.get("modcall_local"):
            mc, ml = rows["modcall"][0], rows["modcall_local"][0]
            print(f"\ntreebeard modcall / modcall_local = {mc:.3f} / {ml:.3f} = {mc / ml:.2f}"
                  "  (late-bound cross-module call vs local closure call, whole process)")
        if "modcall_local" in programs:
            print("(modcall_local's python column is modcall.py: python has no separate local variant)", flush=True)

    if "reload" in selected:
        sizes = [int(s) for s in args.reload_sizes.split(",") if s.strip()]
        print(f"\nreload latency: median ms per reload ({RELOAD_ROUNDS} reloads per process, "
              f"median over {args.runs} processes)", flush=True)
        print(f"{'N':>6} {'treebeard ms':>13} {'python ms':>10} {'ratio tb/py':>12}", flush=True)
        print("-" * 44, flush=True)
        tmp = tempfile.mkdtemp(prefix="treebeard_reload_")
        try:
            for n in sizes:
                result = bench_reload(n, args, tmp)
                if result is None:
                    print(f"{n:>6} {'FAILED':>13}", flush=True)
                else:
                    tb, py = result
                    print(f"{n:>6} {tb:>13.3f} {py:>10.3f} {tb / py:>12.2f}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    try:
        print("\nload average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    except OSError:
        pass
    if failures:
        print(f"\nFAILED: {', '.join(failures)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
