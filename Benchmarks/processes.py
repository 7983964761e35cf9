#!/usr/bin/env python3
"""Processes: message round trip and spawn cost beside Erlang, and calls/second of four
processes calling a module while it reloads.

    python3 Benchmarks/processes.py [--treebeard PATH] [--runs 5] [--rounds 10] [--phase-ms 1000]

Needs a release build (`swift build -c release --product treebeard`) and, for the Erlang
columns, `erl` (`apt-get install -y erlang-base`); without `erl` those columns say so.

Measured inside each program with a monotonic clock, so start-up is not counted:
- round trip: a process sends {ping, self} to an echo process and waits for the pong;
- spawn: spawn a process that returns at once and wait for its end, one at a time, and
  100 at a time (spawn 100, then await the 100);
- 4-process throughput: 4 processes call `counter:step` in a loop (checking for a stop
  message with `(receive … (after 0 …))` after each call) while the main process takes
  turns, in one run, between phases where it sleeps, reloads `counter` (a new version each
  time) 10 times a second, or reloads it back to back. Calls per second of each kind of
  phase, the median over --rounds.
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


def throughput_program(rounds, phase_ms):
    """One run: four callers run throughout while the main process alternates phases of
    phase_ms each — quiet (it sleeps), reloading 10 times a second, reloading back to back —
    `rounds` times. Calls are read from the module's defonce counter at each phase boundary,
    so drift in the machine's load (other jobs on shared cores) hits every kind alike."""
    return f"""(import counter)
(defn work []
  (loop []
    (counter:step)
    (receive (:stop :stopped) (after 0 (recur)))))
(defn write-version [v]
  (spit "counter.oxur" (str "(module counter)\\n(defonce calls (atom 0))\\n(defn step [] (swap! calls inc) " v ")\\n")))
(defn timed-reload [v]
  ;; reload is a builtin (no safe point inside): the main process holds the evaluator lock
  ;; for this long, which the callers lose. The file write before it is the benchmark's own
  ;; (an editor's, in real use) and is not counted, though it too runs under the lock here.
  (write-version v)
  (let [start (now-ns)] (reload "counter.oxur") (- (now-ns) start)))
(defn phase [kind v]
  (let [deadline (+ (now-ms) {phase_ms})]
    (loop [v v reloads 0 busy 0]
      (if (< (now-ms) deadline)
        (cond (= kind :quiet) (do (sleep (max 0 (- deadline (now-ms)))) (recur v reloads busy))
              (= kind :ten-per-second)
              (let [spent (timed-reload v)] (sleep (min 100 (max 0 (- deadline (now-ms))))) (recur (inc v) (inc reloads) (+ busy spent)))
              :else (let [spent (timed-reload v)] (recur (inc v) (inc reloads) (+ busy spent))))
        [v reloads busy]))))
(defn main []
  (let [workers (mapv (fn [_] (spawn work)) (range 4))]
    (sleep 200)
    (loop [round 0 v 2]
      (when (< round {rounds})
        (let [v (reduce (fn [v kind]
                          (let [before @counter:calls start (now-ns)
                                [v reloads busy] (phase kind v)
                                calls (- @counter:calls before)
                                elapsed (- (now-ns) start)
                                seconds (/ (float elapsed) 1e9)]
                            (println "PHASE" kind (/ calls seconds) reloads (/ (* 100.0 busy) elapsed))
                            v))
                        v [:quiet :ten-per-second :back-to-back])]
          (recur (inc round) v))))
    (doseq [w workers] (send w :stop))
    (doseq [w workers] (await w))))
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
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--phase-ms", type=int, default=1000)
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
        with open(os.path.join(directory, "counter.oxur"), "w") as f:
            f.write(counter_version(1))
        output = run_oxur(options.treebeard, directory, throughput_program(options.rounds, options.phase_ms))
        rates = {}
        reloads = {}
        held = {}
        for kind, rate, count, share in re.findall(r"^PHASE :(\S+) (\S+) (\d+) (\S+)$", output, re.M):
            rates.setdefault(kind, []).append(float(rate))
            reloads.setdefault(kind, []).append(int(count))
            held.setdefault(kind, []).append(float(share))
        committed = len(re.findall(r"Reloaded module: counter", output))
        if committed != sum(sum(counts) for counts in reloads.values()):
            raise RuntimeError(f"only {committed} reloads committed:\n{output[-2000:]}")
        baseline = statistics.median(rates["quiet"])
        print(f"4 processes calling counter:step; {options.rounds} rounds of {options.phase_ms} ms phases, medians:")
        for kind in ["quiet", "ten-per-second", "back-to-back"]:
            rate = statistics.median(rates[kind])
            per_second = statistics.median(reloads[kind]) * 1000 / options.phase_ms
            print(f"  main {kind:<15} {rate:14,.0f} calls/s  ({100 * (rate / baseline - 1):+.1f} %, {per_second:.0f} reloads/s;"
                  f" lock held by the reloads {statistics.median(held[kind]):.1f} % of the time;"
                  f" phases {min(rates[kind]):,.0f}–{max(rates[kind]):,.0f})")

if __name__ == "__main__":
    main()
