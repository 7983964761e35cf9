#!/usr/bin/env python3
"""How a reload-all grows with the number of modules it reloads.

Writes N one-function modules into a scratch directory, loads them with (reload-all dir),
rewrites every file and times (reload-all dir :quiet) twice, for each N given. Prints the
milliseconds and, for each doubling, the ratio: about 2 when the cost is linear in the
modules, about 4 when quadratic (the seventeenth stop took 1,500 modules from 548-1,011 ms
to 66-139 ms; docs/performance.md).

    python3 Benchmarks/reload_all_scale.py [--treebeard PATH] [--sizes 375,750,1500,3000]
"""
import argparse
import os
import re
import shutil
import subprocess
import tempfile

DRIVER = """
(defn touch [v]
  (doseq [i (range {n})]
    (spit (str "{dir}/m" i ".oxur") (str "(module m" i ")\\n(defn f [] " (+ i v) ")\\n"))))
(defn main []
  (reload-all "{dir}" :quiet)
  (touch 1)
  (let [t0 (now-ms)] (reload-all "{dir}" :quiet) (println "ms" (- (now-ms) t0)))
  (touch 2)
  (let [t1 (now-ms)] (reload-all "{dir}" :quiet) (println "ms" (- (now-ms) t1))))
"""


def measure(treebeard, n):
    scratch = tempfile.mkdtemp(prefix="reload-all-scale-")
    try:
        modules = os.path.join(scratch, "modules")
        os.mkdir(modules)
        for i in range(n):
            with open(os.path.join(modules, f"m{i}.oxur"), "w") as f:
                f.write(f"(module m{i})\n(defn f [] {i})\n")
        driver = os.path.join(scratch, "driver.oxur")
        with open(driver, "w") as f:
            f.write(DRIVER.replace("{n}", str(n)).replace("{dir}", modules))
        out = subprocess.run([treebeard, "run", driver], capture_output=True, text=True, check=True).stdout
        return [int(x) for x in re.findall(r"^ms (\d+)$", out, re.M)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--treebeard", default=".build/release/treebeard")
    parser.add_argument("--sizes", default="375,750,1500,3000")
    args = parser.parse_args()
    previous = None
    for n in [int(x) for x in args.sizes.split(",")]:
        times = measure(args.treebeard, n)
        best = min(times)
        ratio = f"  x{best / previous:.1f} for x{n / previous_n:.0f} modules" if previous else ""
        print(f"{n:6d} modules: reload-all {times} ms{ratio}")
        previous, previous_n = max(best, 1), n


if __name__ == "__main__":
    main()
