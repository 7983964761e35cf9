#!/usr/bin/env python3
# nREPL round trip: eval "(+ 1 2)" over loopback against treebeard nrepl and Clojure's nREPL server.
"""Measures the time from sending an nREPL `eval` of "(+ 1 2)" to reading its `done`, over
loopback, 1,000 times in one session after a warm-up, for Treebeard's server and for Clojure's own
nREPL server (Debian's libnrepl-clojure), started in the same run. Both are driven by the same
byte-exact bencode client below, so only the servers differ. Prints p50 / p90 / p99 / max.

    python3 Benchmarks/nrepl_roundtrip.py [--treebeard .build/release/treebeard] [--count 1000]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

JARS = ["clojure.jar", "spec.alpha.jar", "core.specs.alpha.jar", "nrepl.jar"]


def encode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(encode(item) for item in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(encode(key) + encode(value[key]) for key in sorted(value)) + b"e"
    raise TypeError(value)


def decode(data, position=0):
    """One value from data at position: (value, next position), or None when incomplete."""
    if position >= len(data):
        return None
    marker = data[position:position + 1]
    if marker == b"i":
        end = data.find(b"e", position)
        return None if end < 0 else (int(data[position + 1:end]), end + 1)
    if marker in (b"l", b"d"):
        items, position = [], position + 1
        while True:
            if position >= len(data):
                return None
            if data[position:position + 1] == b"e":
                break
            decoded = decode(data, position)
            if decoded is None:
                return None
            item, position = decoded
            items.append(item)
        if marker == b"l":
            return items, position + 1
        return {items[i].decode(): items[i + 1] for i in range(0, len(items), 2)}, position + 1
    colon = data.find(b":", position)
    if colon < 0:
        return None
    length = int(data[position:colon])
    if colon + 1 + length > len(data):
        return None
    return data[colon + 1:colon + 1 + length], colon + 1 + length


class Client:
    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def read(self):
        while True:
            decoded = decode(self.buffer)
            if decoded is not None:
                value, length = decoded
                self.buffer = self.buffer[length:]
                return value
            chunk = self.socket.recv(65536)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buffer += chunk

    def request(self, message):
        self.socket.sendall(encode(message))
        responses = []
        while True:
            response = self.read()
            if response.get("id") != message["id"].encode():
                continue
            responses.append(response)
            if b"done" in response.get("status", []):
                return responses


def wait_for_port(process, what):
    deadline = time.time() + 120
    while time.time() < deadline:
        line = process.stdout.readline().decode()
        if "nREPL server started on port" in line:
            return int(line.split("port ")[1].split()[0])
        if not line and process.poll() is not None:
            break
    raise RuntimeError("%s did not announce a port" % what)


def measure(port, count, warmup):
    client = Client(port)
    session = client.request({"op": "clone", "id": "clone"})[0]["new-session"].decode()
    values = [r.get("value") for r in client.request({"op": "eval", "code": "(+ 1 2)", "id": "check", "session": session})]
    assert b"3" in values, values
    times = []
    for index in range(warmup + count):
        started = time.perf_counter()
        client.request({"op": "eval", "code": "(+ 1 2)", "id": str(index), "session": session})
        if index >= warmup:
            times.append((time.perf_counter() - started) * 1e6)
    return sorted(times)


def percentile(sorted_times, fraction):
    return sorted_times[min(len(sorted_times) - 1, int(round(fraction * (len(sorted_times) - 1))))]


def report(name, times):
    print("%-22s p50 %7.0f µs   p90 %7.0f µs   p99 %7.0f µs   max %7.0f µs   mean %7.0f µs   (n=%d)" % (
        name, percentile(times, 0.5), percentile(times, 0.9), percentile(times, 0.99), times[-1],
        statistics.mean(times), len(times)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--treebeard", default=".build/release/treebeard")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--jars", default="/usr/share/java")
    arguments = parser.parse_args()
    arguments.treebeard = os.path.abspath(arguments.treebeard)

    servers = [("treebeard nrepl", [arguments.treebeard, "nrepl"])]
    classpath = ":".join(os.path.join(arguments.jars, jar) for jar in JARS)
    if all(os.path.exists(os.path.join(arguments.jars, jar)) for jar in JARS):
        servers.append(("clojure nrepl 1.0.0", ["java", "-cp", classpath, "clojure.main", "-m", "nrepl.cmdline"]))
    else:
        print("Clojure's nREPL server not found (apt-get install clojure libnrepl-clojure)", file=sys.stderr)

    for name, command in servers:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/tmp")
        try:
            port = wait_for_port(process, name)
            report(name, measure(port, arguments.count, arguments.warmup))
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
