#!/usr/bin/env python3
"""HTTP requests per second: the server example (examples/server, `GET /`) under
`treebeard run`, beside a plain Python `http.server` handler answering the same JSON, both
driven by `wrk -c 16` on loopback, alternately, in the same run.

    python3 Benchmarks/http_bench.py                      # 3 rounds of 10 s each side
    python3 Benchmarks/http_bench.py --runs 5 --duration 20
    python3 Benchmarks/http_bench.py --treebeard .build/debug/treebeard

Needs `wrk` (apt-get install -y wrk) and a release build (swift build -c release --product
treebeard). The Python side runs on Debian's own CPython (python3.11 from python3.11-minimal,
found as Benchmarks/run.py finds it), with ThreadingHTTPServer and HTTP/1.1 so that it keeps
connections alive as the Treebeard server does. Prints a table of the medians (requests/s,
mean latency) and checks that no request failed (wrk's non-2xx and socket error counts).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
from run import debian_python  # noqa: E402

PYTHON_SERVER = r'''
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, each response then waits
    # for the client's delayed ACK (about 40 ms). Off, as any tuned server has it.
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.path == "/":
            body = (json.dumps({"hello": "treebeard", "version": 1}, separators=(",", ":")) + "\n").encode()
            status = 200
        else:
            body, status = b'{"error":"not found"}\n', 404
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("x-api-version", "1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
'''


def start(command, cwd):
    """Starts a server that prints `listening on http://127.0.0.1:PORT`; returns (process, port)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        sys.exit(f"server did not start: {' '.join(command)}\n{line}{process.stderr.read()}")
    return process, int(match.group(1))


def check_response(port):
    """The two servers must answer the same body before they are compared."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/")
    response = connection.getresponse()
    return response.status, response.read().decode()


def wrk(port, duration, threads):
    out = subprocess.run(
        ["wrk", f"-t{threads}", "-c16", f"-d{duration}s", "--latency", f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    problems = (errors.group(1) if errors else "") + (f" non-2xx {non2xx.group(1)}" if non2xx else "")
    return rate, float(latency.group(1)) * scale, problems.strip(), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--treebeard", default=os.path.join(ROOT, ".build", "release", "treebeard"))
    parser.add_argument("--python", default=debian_python() or sys.executable)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        script = os.path.join(directory, "python_server.py")
        with open(script, "w") as file:
            file.write(PYTHON_SERVER)
        sides = {
            "treebeard": ([options.treebeard, "run", "examples/server/server.oxur", "0"], ROOT),
            "python": ([options.python, script], directory),
        }
        results = {name: [] for name in sides}
        failed = False
        for run in range(options.runs):
            for name, (command, cwd) in sides.items():
                process, port = start(command, cwd)
                try:
                    status, body = check_response(port)
                    if status != 200 or '"hello":"treebeard"' not in body:
                        sys.exit(f"{name}: unexpected answer {status} {body!r}")
                    rate, latency, problems, out = wrk(port, options.duration, options.threads)
                finally:
                    process.terminate()
                    process.wait(10)
                results[name].append((rate, latency))
                if problems:
                    failed = True
                    print(f"FAILED {name}: {problems}")
                if options.verbose:
                    print(f"--- {name} run {run + 1}\n{out}")
                print(f"run {run + 1} {name:9} {rate:10.0f} req/s  mean latency {latency:7.2f} ms", flush=True)

    load = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    print(f"\nwrk -t{options.threads} -c16 -d{options.duration}s, GET /, medians of {options.runs} runs; "
          f"commit {commit.strip()}, load average {load[0]:.2f}; python: {options.python}")
    print(f"{'server':12} {'req/s':>10} {'latency ms':>11}")
    medians = {}
    for name, values in results.items():
        medians[name] = statistics.median(rate for rate, _ in values)
        print(f"{name:12} {medians[name]:10.0f} {statistics.median(latency for _, latency in values):11.2f}")
    print(f"treebeard / python requests per second: {medians['treebeard'] / medians['python']:.2f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
