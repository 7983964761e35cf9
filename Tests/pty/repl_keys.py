#!/usr/bin/env python3
"""Drives the treebeard REPL through a real pseudo-terminal, as a person at a keyboard would.

  repl_keys.py TREEBEARD [--no-libedit] [--color]

Sends a fixed sequence of keys (Ctrl-C at a continuation prompt, Tab completion), waiting for
each prompt, and prints the whole transcript for the Swift test (ReplTerminalTests) to check.
Exits 2 when a step times out, with the transcript so far.
"""

import os
import pty
import select
import sys
import tempfile
import time


def main():
    treebeard = sys.argv[1]
    environment = dict(os.environ, HOME=tempfile.mkdtemp(prefix="tb-pty-"), TERM="xterm", NO_COLOR="1")
    environment.pop("TREEBEARD_COLOR", None)
    if "--color" in sys.argv:
        del environment["NO_COLOR"]
    if "--no-libedit" in sys.argv:
        environment["TREEBEARD_NO_LIBEDIT"] = "1"
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(treebeard, [treebeard], environment)
    transcript = bytearray()

    def wait_for(text, timeout=20.0):
        deadline = time.time() + timeout
        while text.encode() not in transcript[wait_for.mark:]:
            remaining = deadline - time.time()
            if remaining <= 0:
                sys.stdout.write(transcript.decode(errors="replace"))
                sys.stdout.write(f"\n<<timed out waiting for {text!r}>>\n")
                sys.exit(2)
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                transcript.extend(chunk)
        wait_for.mark = transcript.find(text.encode(), wait_for.mark) + len(text)

    wait_for.mark = 0

    def send(keys):
        os.write(fd, keys.encode())
        time.sleep(0.2)

    wait_for("treebeard>")
    send("(+ 1\r")
    wait_for("...>")
    send("\x03")  # Ctrl-C at the continuation prompt: the entry is dropped
    wait_for("treebeard>")
    send("(+ 2 3)\r")
    wait_for("5")
    wait_for("treebeard>")
    send("(def answer-of-everything 42)\r")
    wait_for("treebeard>")
    # Tab completes the name where libedit is present. Pressed on its own, as a person does: a
    # Tab with more input already waiting is taken for part of a paste and kept as whitespace.
    send("(+ 0 answer-of-e")
    send("\t")
    send(")\r")
    wait_for("treebeard>")
    send(":quit\r")
    deadline = time.time() + 10
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript.extend(chunk)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(transcript.decode(errors="replace"))
    sys.stdout.write(f"\n<<exit {os.waitstatus_to_exitcode(status)}>>\n")


if __name__ == "__main__":
    main()
