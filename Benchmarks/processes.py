#!/usr/bin/env python3
"""Processes: message round trip and spawn cost beside Erlang, and calls/second of four
processes calling a module while it reloads.

    python3 Benchmarks/processes.py [--treebeard PATH] [--runs 3] [--seconds 3]

Needs a release build (`swift build -c release --product treebeard`) and, for the Erlang
columns, `erl` (`apt-get install -y erlang-base`); without `erl` those columns say so.

Measured inside each program with a monotonic clock, so start-up is not counted:
- round trip: a process sends {ping, self} to an echo process and waits for the pong;
- spawn: spawn a process that returns at once and wait for its end, one at a time, and
  100 at a time (spawn 100, then await the 100);
- 4-process throughput: 4 processes call `counter:step` in a loop (checking for a stop
  message with `(receive … (after 0 …))` after each call) for --seconds; the main process
  either sleeps, or reloads `counter` from alternating versions 10 times a second, or
  reloads it back to back. Reported as calls per second, the median of --runs.
"""
import argparse, os, re, shutil, statistics, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROUND_TRIPS = 20_000
SPAWNS = 5_000

OXUR_MESSAGES = f"""
(defn echo [] (receive ([:ping from] (send from :pong) (echo)) (:stop :stopped)))
(defn ping [server n] (when (pos? n) (send server [:ping (self)]) (receive (:pong nil)) (ping server (dec n))))
(defn spawn-one-at-a-time [n] (when (pos? n) (await (spawn (fn [] nil))) (spawn-one-at-a-time (dec n))))
(defn spawn-batches [n] (when (pos? n) (doseq [p (mapv (fn [_] (spawn (fn [] nil))) (range 100))] (await p)) (spawn-batches (- n 100))))
(defn per-op-us [start n] (/ (float (- (now-ns) start)) (* 1000.0 n)))
(defn main []
  (let [server (spawn echo)]
    (ping server 1000)
    (let [start (now-ns)]
      (ping server {ROUND_TRIPS})
      (println "round-trip-us" (per-op-us start {ROUND_TRIPS})))
    (send server :stop))
  (spawn-one-at-a-time 500)
  (let [start (now-ns)] (spawn-one-at-a-time {SPAWNS}) (println "spawn-await-us" (per-op-us start {SPAWNS})))
  (let [start (now-ns)] (spawn-batches {SPAWNS}) (println "spawn-batch-us" (per-op-us start {SPAWNS}))))
"""

ERLANG_MESSAGES = f"""
Echo = fun Loop() -> receive {{ping, From}} -> From ! pong, Loop(); stop -> ok end end,
Ping = fun P(_, 0) -> ok; P(S, N) -> S ! {{ping, self()}}, receive pong -> ok end, P(S, N - 1) end,
Now = fun() -> erlang:monotonic_time(nanosecond) end,
PerOp = fun(T0, N) -> (Now() - T0) / (1000 * N) end,
Server = spawn(Echo),
Ping(Server, 1000),
T1 = Now(), Ping(Server, {ROUND_TRIPS}), io:format("round-trip-us ~p~n", [PerOp(T1, {ROUND_TRIPS})]),
Server ! stop,
One = fun O(0) -> ok; O(N) -> {{Pid, Ref}} = spawn_monitor(fun() -> ok end),
  receive {{'DOWN', Ref, process, Pid, _}} -> ok end, O(N - 1) end,
One(500),
T2 = Now(), One({SPAWNS}), io:format("spawn-await-us ~p~n", [PerOp(T2, {SPAWNS})]),
Batch = fun B(N) when N =< 0 -> ok; B(N) ->
  Refs = [spawn_monitor(fun() -> ok end) || _ <- lists:seq(1, 100)],
  [receive {{'DOWN', R, process, P, _}} -> ok end || {{P, R}} <- Refs], B(N - 100) end,
T3 = Now(), Batch({SPAWNS}), io:format("spawn-batch-us ~p~n", [PerOp(T3, {SPAWNS})]),
halt().
"""


def counter_version(version):
    return f"(module counter)\n(defonce calls (atom 0))\n(defn step [] (swap! calls inc) {version})\n"


def throughput_program(mode, seconds):
    # mode: none | 10/s | continuous
    if mode == "none":
        driver = f"(sleep {seconds * 1000})"
    else:
        pause = "(sleep 100)" if mode == "10/s" else ""
        driver = f"""(loop [v 2]
          (when (< (now-ms) deadline)
            (spit "counter.oxur" (str "(module counter)\\n(defonce calls (atom 0))\\n(defn step [] (swap! calls inc) " v ")\\n"))
            (reload "counter.oxur")
            {pause}
            (recur (inc v))))"""
    return f"""(import counter)
(defn work []
  (loop [calls 0]
    (counter:step)
    (receive (:stop (inc calls)) (after 0 (recur (inc calls))))))
(defn main []
  (let [deadline (+ (now-ms) {seconds * 1000})
        workers (mapv (fn [_] (spawn work)) (range 4))
        start (now-ns)]
    {driver}
    (doseq [w workers] (send w :stop))
    (let [calls (reduce + (map await workers))
          elapsed (/ (float (- (now-ns) start)) 1e9)]
      (eprintln-result calls elapsed))))
(defn eprintln-result [calls elapsed] (println "RESULT" (/ calls elapsed)))
"""


def run_oxur(treebeard, directory, program):
    path = os.path.join(directory, "bench.oxur")
    with open(path, "w") as f:
        f.write(program)
    result = subprocess.run([treebeard, "run", "bench.oxur"], cwd=directory, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"treebeard failed: {result.stderr[-2000:]}")
    return result.stdout


def parse(output, names):
    values = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in names:
            values[parts[0]] = float(parts[1])
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--treebeard", default=os.path.join(ROOT, ".build/release/treebeard"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    options = parser.parse_args()
    names = ["round-trip-us", "spawn-await-us", "spawn-batch-us"]
    erl = shutil.which("erl")
    with tempfile.TemporaryDirectory() as directory:
        oxur_runs = [parse(run_oxur(options.treebeard, directory, OXUR_MESSAGES), names) for _ in range(options.runs)]
        erlang_runs = []
        if erl:
            for _ in range(options.runs):
                result = subprocess.run([erl, "-noshell", "-eval", ERLANG_MESSAGES], capture_output=True, text=True,
                                        timeout=600)
                erlang_runs.append(parse(result.stdout, names))
        print(f"{'measure (median of %d)' % options.runs:<34} {'Treebeard':>12} {'Erlang':>12}")
        for name in names:
            oxur = statistics.median(run[name] for run in oxur_runs)
            erlang = f"{statistics.median(run[name] for run in erlang_runs):12.2f}" if erlang_runs else "     no erl"
            print(f"{name + ' (µs)':<34} {oxur:12.2f} {erlang}")
        print()
        # The modes take turns within each run, so drift in the machine's load (other jobs on
        # shared cores) spreads over all of them instead of favouring one.
        modes = ["none", "10/s", "continuous"]
        rates = {mode: [] for mode in modes}
        reloads = {mode: [] for mode in modes}
        for _ in range(options.runs):
            for mode in modes:
                with open(os.path.join(directory, "counter.oxur"), "w") as f:
                    f.write(counter_version(1))
                output = run_oxur(options.treebeard, directory, throughput_program(mode, options.seconds))
                match = re.search(r"^RESULT (\S+)$", output, re.M)
                rates[mode].append(float(match.group(1)))
                reloads[mode].append(len(re.findall(r"Reloaded", output)))
        baseline = statistics.median(rates["none"])
        for mode in modes:
            rate = statistics.median(rates[mode])
            print(f"4 processes, reloads {mode:<11} {rate:14,.0f} calls/s  ({100 * (rate / baseline - 1):+.1f} %,"
                  f" {statistics.median(reloads[mode]):.0f} reloads in {options.seconds} s;"
                  f" runs {min(rates[mode]):,.0f}–{max(rates[mode]):,.0f})")

if __name__ == "__main__":
    main()
