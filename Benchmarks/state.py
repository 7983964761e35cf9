#!/usr/bin/env python3
"""Rollback, migration and reload-memory figures for issue 9 (docs/performance.md, "State").

Drives the real executable's REPL through stdin; Oxur's own clock (now-ns) times the work inside
one process, so start-up is not counted. Prints medians over --runs processes.

  python3 Benchmarks/state.py --treebeard .build/release/treebeard --runs 5
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time


def run_repl(treebeard, directory, script, timeout=600):
    done = subprocess.run(
        [treebeard], input=script, capture_output=True, text=True, cwd=directory, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"treebeard failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def numbers(output, tag):
    return [float(m) for m in re.findall(rf"^{tag} ([0-9.]+)$", output, re.MULTILINE)]


def rollback_100_modules(treebeard, directory):
    """100 loaded modules of 20 functions, each reloaded once; then time (rollback m) for each."""
    lines = []
    for index in range(100):
        body = "".join(f"(defn f{k} [x] (+ x {k}))\n" for k in range(20))
        with open(os.path.join(directory, f"m{index}.oxur"), "w") as handle:
            handle.write(f"(module m{index})\n{body}")
        lines.append(f'(load "m{index}.oxur")')
    for index in range(100):
        with open(os.path.join(directory, f"m{index}.oxur"), "a") as handle:
            handle.write("(defn extra [] 1)\n")
        lines.append(f'(reload "m{index}.oxur")')
    timed = " ".join(f"(rollback m{index})" for index in range(100))
    lines.append(f'(let [t (now-ns)] {timed} (println "rollback-each-ms" (/ (- (now-ns) t) 100000000.0)))')
    return numbers(run_repl(treebeard, directory, "\n".join(lines) + "\n"), "rollback-each-ms")[0]


MIGRATION_V1 = "(module geo)\n(defstruct Point x y)\n(defn make [i] (struct Point (x i) (y i)))\n"
MIGRATION_V2 = (
    "(module geo)\n(defstruct Point x y z)\n(defn make [i] (struct Point (x i) (y i) (z 0)))\n"
    "(define (--migrate-- v old) (struct Point (x (get-x old)) (y (get-y old)) (z v)))\n")


def migrate_100k(treebeard, directory):
    """A reload that migrates 100,000 live instances, against the same reload with none alive."""
    with open(os.path.join(directory, "geo.oxur"), "w") as handle:
        handle.write(MIGRATION_V1)
    with open(os.path.join(directory, "geo2.oxur"), "w") as handle:
        handle.write(MIGRATION_V2)
    script = "\n".join([
        '(load "geo.oxur")',
        "(defonce points (atom (vec (map geo:make (range 100000)))))",
        '(spit "geo.oxur" (slurp "geo2.oxur"))',
        '(let [t (now-ns)] (reload "geo.oxur") (println "migrate-ms" (/ (- (now-ns) t) 1000000.0)))',
        "(reset! points nil)",
        '(spit "geo.oxur" (str (slurp "geo2.oxur") "(defn extra [] 1)\\n"))',
        '(let [t (now-ns)] (reload "geo.oxur") (println "plain-ms" (/ (- (now-ns) t) 1000000.0)))',
    ])
    out = run_repl(treebeard, directory, script + "\n")
    if "(migrated 100000 geo:Point (v1))" not in out:
        raise SystemExit("migration did not report 100000 instances:\n" + out[-2000:])
    return numbers(out, "migrate-ms")[0], numbers(out, "plain-ms")[0]


def memory_after_reloads(treebeard, directory, reloads):
    """Resident memory after N reloads of one module (history limit 16), read from /proc."""
    with open(os.path.join(directory, "grow.oxur"), "w") as handle:
        handle.write("(module grow)\n(defn f [] 0)\n")
    process = subprocess.Popen(
        [treebeard], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=directory)
    readings = []

    def rss_kib():
        with open(f"/proc/{process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def send(text, marker):
        process.stdin.write(text + f'\n(println "{marker}")\n')
        process.stdin.flush()
        while True:
            line = process.stdout.readline()
            if not line or line.strip() == marker:
                return

    send('(load "grow.oxur")', "loaded")
    step = reloads // 4
    for quarter in range(4):
        body = (
            f'(dotimes [i {step}] (spit "grow.oxur" (str "(module grow)\\n(defn f [] " (+ i {quarter * step}) ")\\n"))'
            ' (reload-all :quiet))')
        send(body, f"q{quarter}")
        readings.append(rss_kib())
    process.stdin.close()
    process.wait(timeout=60)
    return readings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--treebeard", default=".build/release/treebeard")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reloads", type=int, default=10000)
    arguments = parser.parse_args()
    treebeard = os.path.abspath(arguments.treebeard)
    rollbacks, migrations, plains = [], [], []
    for _ in range(arguments.runs):
        directory = tempfile.mkdtemp(prefix="tb-state-")
        try:
            rollbacks.append(rollback_100_modules(treebeard, directory))
            migrate, plain = migrate_100k(treebeard, directory)
            migrations.append(migrate)
            plains.append(plain)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"treebeard: {treebeard}")
    print(f"rollback of one module, 100 modules loaded: median {statistics.median(rollbacks):.3f} ms "
          f"(runs: {', '.join(f'{r:.3f}' for r in rollbacks)})")
    print(f"reload migrating 100,000 instances: median {statistics.median(migrations):.1f} ms; "
          f"the same reload with none alive: {statistics.median(plains):.2f} ms")
    directory = tempfile.mkdtemp(prefix="tb-state-")
    try:
        started = time.time()
        readings = memory_after_reloads(treebeard, directory, arguments.reloads)
        quarter = arguments.reloads // 4
        print(f"resident memory after {quarter}, {2 * quarter}, {3 * quarter}, {4 * quarter} reloads: "
              + ", ".join(f"{r / 1024:.1f} MiB" for r in readings) + f" ({time.time() - started:.0f} s)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
