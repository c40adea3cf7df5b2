"""`serve --workers N`: N listener processes on one address, supervised by this one.

One Python process parses and commits alerts on one core; a storm wants every core. Each
worker is a whole `serve` runtime (listener, writer, notifications) bound to the same
address with SO_REUSEPORT, so the kernel spreads connections across them; they share the
store through the write lock of console/engine/shared_writes.py, and answer `/metrics` for
all of them together. Managed alert rules run in worker 0 only.

The supervisor starts the workers, prints the address once every one of them listens, passes
on worker 0's later "listening on" lines (the settings moved the listener), restarts a
worker that dies, and on SIGINT/SIGTERM stops them all, each committing what it accepted. A
worker stops by itself when the supervisor is gone, even killed (Linux: PR_SET_PDEATHSIG).

`serve` replaces itself with this module (`main`, through exec) once it has read its
settings, so the supervisor holds only what supervising needs: about 16 MB resident
instead of the 80 MB of the whole command line.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

READY_TIMEOUT_SECONDS = 30.0
WATCH_SECONDS = 0.2
STOP_TIMEOUT_SECONDS = 60.0
# A worker that dies this soon after starting, twice in a row, is not restarted again.
EARLY_DEATH_SECONDS = 5.0
PR_SET_PDEATHSIG = 1
LISTENING = "listening on"
PROG = "incident-console"


class WorkersError(Exception):
    """The workers could not be started; the message says why."""


def supported() -> bool:
    """Whether this system spreads connections over sockets sharing a port (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def die_with_supervisor(supervisor_pid: int) -> None:
    """In a worker: be sent SIGTERM when the supervisor ends, however it ends."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor_pid:  # it ended before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def reserve_port(host: str) -> socket.socket:
    """A socket bound to a free port of `host`, not listening, that lets the workers bind
    the same port: held until they listen, so nothing else takes the port meanwhile."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


@dataclass
class _Worker:
    index: int
    proc: subprocess.Popen[str]
    started: float
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)


class Supervisor:
    """Starts, watches and stops the workers of one `serve`."""

    def __init__(self, db_url: str, host: str, port: int, count: int) -> None:
        self.db_url, self.host, self.port, self.count = db_url, host, port, count
        self.directory = Path(tempfile.mkdtemp(prefix="incident-console-workers-"))
        self.workers: list[_Worker] = []
        self._early_deaths: dict[int, int] = {}
        # Set from a signal handler: a plain flag, never a lock (a second signal arriving
        # while the handler held one would deadlock the process).
        self._stopping = False

    def _argv(self, index: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "console",
            "serve",
            "--db",
            self.db_url,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--worker-index",
            str(index),
            "--worker-dir",
            str(self.directory),
            "--worker-of",
            str(os.getpid()),
        ]

    def _spawn(self, index: int) -> _Worker:
        # stderr is shared: a worker's warnings and errors reach the operator as they are.
        proc = subprocess.Popen(self._argv(index), stdout=subprocess.PIPE, text=True)
        worker = _Worker(index, proc, time.monotonic())

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                worker.lines.put(line.rstrip("\n"))
            worker.lines.put(None)

        threading.Thread(target=read, name=f"worker-{index}-stdout", daemon=True).start()
        return worker

    def _await_ready(self, worker: _Worker) -> str:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            try:
                line = worker.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise WorkersError(f"worker {worker.index} did not start in time") from None
            if line is None:
                code = worker.proc.wait()
                raise WorkersError(f"worker {worker.index} could not start (exit status {code})")
            if LISTENING in line.lower():
                return line

    def start(self) -> str:
        """Start every worker; the line to print once all listen."""
        reserved = reserve_port(self.host) if self.port == 0 else None
        try:
            if reserved is not None:
                self.port = int(reserved.getsockname()[1])
            first = ""
            for index in range(self.count):
                worker = self._spawn(index)
                self.workers.append(worker)
                line = self._await_ready(worker)
                first = first or line
            return first
        except BaseException:
            self.stop()
            raise
        finally:
            if reserved is not None:
                reserved.close()

    def request_stop(self, _signum: int = 0, _frame: FrameType | None = None) -> None:
        """Safe as a signal handler, however often and whenever the signal comes."""
        self._stopping = True

    def watch(self) -> None:
        """Until asked to stop: relay worker 0's address changes, restart dead workers."""
        while not self._stopping:
            time.sleep(WATCH_SECONDS)
            for position, worker in enumerate(self.workers):
                self._relay(worker)
                if worker.proc.poll() is not None and not self._stopping:
                    self.workers[position] = self._restart(worker)
        for worker in self.workers:  # what was said just before the stop
            self._relay(worker)

    def _relay(self, worker: _Worker) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                line = worker.lines.get_nowait()
                if line is not None and worker.index == 0 and LISTENING in line.lower():
                    print(line, flush=True)

    def _restart(self, worker: _Worker) -> _Worker:
        code = worker.proc.returncode
        early = time.monotonic() - worker.started < EARLY_DEATH_SECONDS
        deaths = self._early_deaths.get(worker.index, 0) + 1 if early else 0
        self._early_deaths[worker.index] = deaths
        if deaths >= 2:
            raise WorkersError(f"worker {worker.index} keeps exiting (status {code})")
        print(
            f"worker {worker.index} exited (status {code}); starting it again",
            file=sys.stderr,
            flush=True,
        )
        fresh = self._spawn(worker.index)
        self._await_ready(fresh)
        return fresh

    def stop(self) -> None:
        """Ask every worker to stop (each commits what it accepted) and wait for them."""
        for worker in self.workers:
            if worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for worker in self.workers:
            try:
                worker.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
            self._relay(worker)  # a move said just before the stop still reaches stdout
        shutil.rmtree(self.directory, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Supervise `--workers` listener processes until SIGINT/SIGTERM; the exit status."""
    parser = argparse.ArgumentParser(prog=f"{PROG} serve")
    parser.add_argument("--db", required=True, help="the store URL the workers open")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--store-display", required=True, help="the store URL to print")
    args = parser.parse_args(argv)
    supervisor = Supervisor(args.db, args.host, args.port, args.workers)
    # Handlers first: a signal that arrives while starting still stops us cleanly.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, supervisor.request_stop)
    try:
        line = supervisor.start()
    except (WorkersError, OSError) as exc:
        print(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(line, flush=True)
    print(f"Store: {args.store_display} ({args.workers} workers)", flush=True)
    try:
        supervisor.watch()
    except WorkersError as exc:
        supervisor.stop()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    print("Stopping: finishing requests and committing accepted alerts", flush=True)
    supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
