#!/usr/bin/env python3
"""Treebeard benchmark suite: Oxur programs in Benchmarks/ against the CPython reference
programs in /work/shared/bench/python/, with peers (PicoLisp, Lua 5.4: the same programs in
Benchmarks/peers/) alongside where they are installed.

    python3 Benchmarks/run.py --build            # build release, run everything (5 runs each)
    python3 Benchmarks/run.py fib tak --runs 10  # only some benchmarks
    python3 Benchmarks/run.py reload             # only the reload-latency benchmark
    python3 Benchmarks/run.py --no-peers         # treebeard and python only

For each benchmark treebeard, python and every installed peer run alternately (interleaved), N
times each; every run is timed as a whole process (wall clock, start-up included) and its output
is checked against the expected output. The table shows the medians, the ratio treebeard / python
(lower is better for us) and, per peer, its ratio peer / python (pil/py, lua/py).

The reload benchmark generates, for N in 10, 100, 1000, a module hot_N.oxur with N one-line
functions, then an Oxur driver that rewrites it 20 times with a new constant and times each
`(reload path)` with `(now-ns)`; python's reload.py N does the same with importlib.reload, the
peers' reload.l / reload.lua with PicoLisp's `load` and Lua's `dofile`.
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
PEERS_DIR = os.path.join(BENCH_DIR, "peers")

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
        # stdin is /dev/null: an interpreter that stops on an error (PicoLisp's break loop) must
        # not wait for a terminal.
        p = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
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


# --- peers --------------------------------------------------------------------------------------

class Peer:
    """Another interpreter running the same programs from Benchmarks/peers/<directory>/, with the
    benchmark's name and `extension` (fib.lua, fib.l), cwd that directory so that a program finds
    its module file (modcall_mod) there."""

    def __init__(self, label, title, directory, extension, path, prefix, version):
        self.label = label          # column heading: "<label>/py"
        self.title = title
        self.directory = os.path.join(PEERS_DIR, directory)
        self.extension = extension
        self.path = path
        self.prefix = prefix        # arguments before the program file
        self.version = version

    def program(self, name):
        """The peer's program for benchmark `name`, or None when it has none (modcall_local)."""
        file = os.path.join(self.directory, name + self.extension)
        return file if os.path.isfile(file) else None

    def command(self, program, *arguments):
        return [self.path] + self.prefix + [program] + list(arguments)

    def describe(self):
        shown = " ".join(self.command(os.path.relpath(os.path.join(self.directory, "X" + self.extension), ROOT)))
        return f"{self.path} ({self.version}; run as `{shown}`, cwd {os.path.relpath(self.directory, ROOT)})"


def first_line(cmd):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (p.stdout + p.stderr).strip().splitlines()
    return lines[0].strip() if p.returncode == 0 and lines else None


def find_picolisp(path):
    """PicoLisp (Debian package picolisp): the bare interpreter with only its core library lib.l
    loaded, as `#!/usr/bin/picolisp /usr/lib/picolisp/lib.l` scripts run (`pil` would also load
    the database, network and Pilog libraries and debug mode). Returns (Peer, None) or (None, why)."""
    path = path or shutil.which("picolisp")
    if not path or not os.access(path, os.X_OK):
        return None, "not installed (Debian package picolisp; --picolisp PATH)"
    lib = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(path)), "..", "lib", "picolisp", "lib.l"))
    if not os.path.isfile(lib):
        return None, f"{path} found, but not its core library (looked for {lib})"
    version = first_line([path, lib, "-prinl (glue \".\" (version T))", "-bye"])
    if not version:
        return None, f"{path} does not run (`{path} {lib} -bye` failed)"
    return Peer("pil", "PicoLisp", "picolisp", ".l", path, [lib], "PicoLisp " + version), None


def find_lua(path):
    """Lua 5.4 (Debian package lua5.4). Returns (Peer, None) or (None, why)."""
    path = path or shutil.which("lua5.4")
    if not path or not os.access(path, os.X_OK):
        return None, "not installed (Debian package lua5.4; --lua PATH)"
    banner = first_line([path, "-v"])
    if not banner:
        return None, f"{path} does not run (`{path} -v` failed)"
    version = banner.split("  Copyright")[0]
    if not version.startswith("Lua 5.4"):
        return None, f"{path} is {version}, not Lua 5.4"
    return Peer("lua", "Lua", "lua", ".lua", path, [], version), None


def find_peers(args):
    """[(title, Peer or None, why not)] for every known peer, in column order."""
    if args.no_peers:
        return []
    found = []
    for title, finder, path in (("PicoLisp", find_picolisp, args.picolisp), ("Lua", find_lua, args.lua)):
        peer, why = finder(path)
        found.append((title, peer, why))
    return found


# --- whole-program benchmarks -------------------------------------------------------------------

def run_sides(what, sides, args, check):
    """Runs every side alternately, args.runs rounds. `sides` is [(name, cmd, cwd, env,
    required)]; `check(name, elapsed, rc, out)` returns (the measured value, "") or (None, what
    was wrong). A wrong run fails loudly; a required side failing ends the benchmark (returns
    None), a peer failing drops only that peer (its entry becomes "FAILED").
    Returns {name: [values] | "FAILED"}."""
    results = {name: [] for name, *_ in sides}
    active = list(sides)
    for _ in range(args.runs):
        for side in list(active):
            name, cmd, cwd, env, required = side
            elapsed, rc, err, out = run_timed(cmd, cwd, env, args.timeout)
            value, wrong = check(name, elapsed, rc, out)
            if value is None:
                fail(f"{what} ({name})", wrong + describe(cmd, cwd, rc, out, err))
                if required:
                    return None
                active.remove(side)
                results[name] = "FAILED"
                continue
            results[name].append(value)
    return results


def median_or_failed(values):
    return values if values == "FAILED" else statistics.median(values)


def bench_program(name, args, peers):
    """{side: median seconds | "FAILED"} for treebeard, python and the peers that have a program
    for `name`, or None when treebeard or python failed."""
    py_file, expected = BENCHMARKS[name]
    tb_cmd = [args.treebeard, "run", os.path.join("Benchmarks", name + ".oxur")]
    py_cmd = [args.python, os.path.join(PY_DIR, py_file)]
    sides = [("treebeard", tb_cmd, ROOT, None, True), ("python", py_cmd, PY_DIR, python_env(), True)]
    for peer in peers:
        program = peer.program(name)
        if program:
            sides.append((peer.label, peer.command(program), peer.directory, None, False))

    def check(side, elapsed, rc, out):
        got = (out or "").strip()
        if rc == 0 and got == expected:
            return elapsed, ""
        return None, f"expected output: {expected!r}\nactual output:   {got[-200:]!r}\n"

    times = run_sides(name, sides, args, check)
    if times is None:
        return None
    if args.verbose:
        for side, values in times.items():
            shown = values if values == "FAILED" else " ".join(f"{t:.3f}" for t in values)
            print(f"  {name:14s} {side:9s} {shown}", flush=True)
    return {side: median_or_failed(values) for side, values in times.items()}


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


MEDIAN_RE = re.compile(r"reload (oxur|py|pil|lua) N=(\d+) median_ms=([0-9.eE+-]+)")


def parse_reload(out, lang, n):
    lines = [l for l in (out or "").splitlines() if not l.startswith("✓")]
    for line in lines:
        m = MEDIAN_RE.search(line)
        if m and m.group(1) == lang and int(m.group(2)) == n:
            return float(m.group(3)), line.strip()
    return None, "\n".join(lines)


def bench_reload(n, args, tmp, peers):
    """{side: median ms | "FAILED"} for treebeard ("oxur"), python ("py") and the peers with a
    reload program (named by their label), or None when treebeard or python failed."""
    work = os.path.join(tmp, f"reload_{n}")
    os.makedirs(work, exist_ok=True)
    driver = os.path.join(work, f"reload_driver_{n}.oxur")
    with open(driver, "w") as f:
        f.write(reload_driver(n, os.path.join(work, f"hot_{n}.oxur")))
    tb_cmd = [args.treebeard, "run", driver]
    py_cmd = [args.python, os.path.join(PY_DIR, "reload.py"), str(n)]
    sides = [("oxur", tb_cmd, work, None, True), ("py", py_cmd, PY_DIR, None, True)]
    for peer in peers:
        program = peer.program("reload")
        if program:
            sides.append((peer.label, peer.command(program, str(n)), peer.directory, None, False))

    def check(lang, elapsed, rc, out):
        value, text = parse_reload(out, lang, n)
        if rc != 0 or value is None:
            return None, f"expected a line 'reload {lang} N={n} median_ms=...'\n"
        if args.verbose:
            print(f"  {text}", flush=True)
        return value, ""

    medians = run_sides(f"reload N={n}", sides, args, check)
    if medians is None:
        return None
    return {side: median_or_failed(values) for side, values in medians.items()}


# --- main ---------------------------------------------------------------------------------------

def header(args, peers):
    def cmd_out(cmd, cwd=ROOT):
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True).stdout.strip()
        except OSError:
            return "?"
    py_version = cmd_out([args.python, "--version"])
    # The checkout the binary was built in (…/<checkout>/.build/…), which --treebeard may put
    # outside this one.
    binary = os.path.abspath(args.treebeard)
    checkout = binary.split(os.sep + ".build" + os.sep)[0] if os.sep + ".build" + os.sep in binary else ROOT
    commit = cmd_out(["git", "rev-parse", "--short", "HEAD"], checkout) or "?"
    dirty = "; Sources/ had uncommitted changes when this ran" if cmd_out(["git", "status", "--porcelain", "--", "Sources"], checkout) else ""
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(args.treebeard)))
    print(f"Treebeard benchmarks — {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.system()} {platform.release()}")
    print(f"treebeard: {args.treebeard} (built {built}; git HEAD of {checkout}: {commit}{dirty})")
    print(f"python: {args.python} ({py_version})")
    if not peers:
        print("peers: none (--no-peers)")
    for title, peer, why in peers:
        if peer:
            print(f"peer {peer.label} = {title}: {peer.describe()}")
        else:
            print(f"peer {title}: {why}; its column is left out")
    try:
        print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    except OSError:
        pass
    sides = "treebeard, python" + "".join(f", {peer.label}" for _, peer, _ in peers if peer)
    print(f"runs: {args.runs} per side, alternating ({sides}); whole-process wall clock; medians in seconds")
    print(flush=True)


def peer_ratio(result, label, python, width):
    """A peer's column: its ratio to python, "FAILED", or "-" when it has no such program."""
    value = result.get(label)
    if value is None:
        return f"{'-':>{width}}"
    if value == "FAILED":
        return f"{'FAILED':>{width}}"
    return f"{value / python:>{width}.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*",
                        help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}, reload")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (default 5)")
    parser.add_argument("--build", action="store_true",
                        help="Benchmarks/build-release first (the fastest-starting release build)")
    parser.add_argument("--treebeard", default=DEFAULT_TREEBEARD, help="treebeard binary")
    # The CPython people actually run is the distribution's (Debian's is built with PGO and LTO,
    # from python3.11-minimal); the python3 first on PATH here is a slower pyenv build whose
    # start-up also reads a site .pth file. Fall back to the interpreter running this script.
    parser.add_argument("--python", default=debian_python() or sys.executable or "python3",
                        help="python interpreter (default: Debian's /usr/bin/python3.X when installed, "
                             "else the one running this script)")
    parser.add_argument("--no-peers", action="store_true",
                        help="run treebeard and python only, not PicoLisp and Lua")
    parser.add_argument("--picolisp", help="PicoLisp interpreter (default: picolisp on PATH)")
    parser.add_argument("--lua", help="Lua 5.4 interpreter (default: lua5.4 on PATH)")
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
    try:
        sizes = [int(s) for s in args.reload_sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--reload-sizes takes comma-separated whole numbers, not {args.reload_sizes!r}")
    if any(n < 1 for n in sizes):
        parser.error("--reload-sizes must all be at least 1")

    if args.build:
        # The Swift and C++ runtimes linked statically, metadata without conformance scans
        # (Benchmarks/build-release says why). Only the executable is affected, not the library.
        cmd = [os.path.join(ROOT, "Benchmarks", "build-release")]
        print("$ " + " ".join(cmd), flush=True)
        if subprocess.run(cmd, cwd=ROOT).returncode != 0:
            print("build failed", file=sys.stderr)
            return 1
    if not os.access(args.treebeard, os.X_OK):
        print(f"no treebeard binary at {args.treebeard}; run with --build", file=sys.stderr)
        return 1

    found = find_peers(args)
    built_at = os.path.getmtime(args.treebeard)
    header(args, found)
    peers = [peer for _, peer, _ in found if peer]
    rows = {}
    programs = [n for n in BENCHMARKS if n in selected]
    if programs:
        # The first four columns are the ones other tools and docs/performance.md read; the
        # peers' ratio columns follow them.
        heading = f"{'benchmark':<14} {'treebeard s':>12} {'python s':>10} {'ratio tb/py':>12}"
        heading += "".join(f" {peer.label + '/py':>8}" for peer in peers)
        print(heading, flush=True)
        print("-" * len(heading), flush=True)
        for name in programs:
            result = bench_program(name, args, peers)
            rows[name] = result
            if result is None:
                print(f"{name:<14} {'FAILED':>12}", flush=True)
            else:
                tb, py = result["treebeard"], result["python"]
                print(f"{name:<14} {tb:>12.3f} {py:>10.3f} {tb / py:>12.2f}"
                      + "".join(" " + peer_ratio(result, peer.label, py, 8) for peer in peers), flush=True)
        if rows.get("modcall") and rows.get("modcall_local"):
            mc, ml = rows["modcall"]["treebeard"], rows["modcall_local"]["treebeard"]
            print(f"\ntreebeard modcall / modcall_local = {mc:.3f} / {ml:.3f} = {mc / ml:.2f}"
                  "  (late-bound cross-module call vs local closure call, whole process)")
        if "modcall_local" in programs:
            print("(modcall_local's python column is modcall.py: python has no separate local variant"
                  + ("; the peers have none either: -" if peers else "") + ")", flush=True)

    if "reload" in selected:
        print(f"\nreload latency: median ms per reload ({RELOAD_ROUNDS} reloads per process, "
              f"median over {args.runs} processes)", flush=True)
        heading = f"{'N':>6} {'treebeard ms':>13} {'python ms':>10} {'ratio tb/py':>12}"
        heading += "".join(f" {peer.label + ' ms':>9} {peer.label + '/py':>7}" for peer in peers)
        print(heading, flush=True)
        print("-" * len(heading), flush=True)
        tmp = tempfile.mkdtemp(prefix="treebeard_reload_")
        try:
            for n in sizes:
                result = bench_reload(n, args, tmp, peers)
                if result is None:
                    print(f"{n:>6} {'FAILED':>13}", flush=True)
                    continue
                tb, py = result["oxur"], result["py"]
                line = f"{n:>6} {tb:>13.3f} {py:>10.3f} {tb / py:>12.2f}"
                for peer in peers:
                    value = result.get(peer.label)
                    if value is None or value == "FAILED":
                        shown = "-" if value is None else "FAILED"
                        line += f" {shown:>9} {'':>7}"
                    else:
                        line += f" {value:>9.3f} {value / py:>7.2f}"
                print(line.rstrip(), flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if peers:
            print("(python times importlib.reload alone, pil `load`, lua `dofile` (CPU time: Lua has no finer "
                  "wall clock), treebeard the whole `reload` transaction)", flush=True)

    try:
        if os.path.getmtime(args.treebeard) != built_at:
            print(f"\nWARNING: {args.treebeard} was rebuilt during this run: rows mix two binaries", flush=True)
    except OSError:
        print(f"\nWARNING: {args.treebeard} disappeared during this run", flush=True)
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
