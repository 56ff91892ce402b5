"""Start, stop and SIGKILL real Perdure server processes for integration tests.

Each server gets a free loopback port and the data directory the test chooses (so a test can
kill a server and start a new one on the same data).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PerdureProcess:
    def __init__(self, data_dir, *extra, port=None):
        self.data_dir = str(data_dir)
        self.extra = [str(a) for a in extra]
        self.own_port = port is None  # chosen here: may be taken again before the server binds it
        self.port = port or free_port()
        self.proc = None
        self.stderr_path = os.path.join(self.data_dir, "server.stderr")

    @property
    def ca(self):
        return os.path.join(self.data_dir, "tls", "ca.crt")

    def start(self, timeout: float = 30.0):
        """Start and wait for a PING.  A port this class chose can be taken by another process
        (a client's ephemeral port, a concurrent test run) between ``free_port`` and the
        server's bind: then it starts again on a new port, up to three times."""
        for attempt in range(3):
            try:
                return self._start(timeout)
            except RuntimeError as e:
                if not (self.own_port and "Address already in use" in str(e)) or attempt == 2:
                    raise
                self.errf.close()
                self.port = free_port()

    def _start(self, timeout: float):
        os.makedirs(self.data_dir, exist_ok=True)
        self.errf = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "perdure.server", "--tls-port", str(self.port), "--dir", self.data_dir,
             "--loglevel", "warning", *self.extra],
            stdout=self.errf, stderr=self.errf, cwd=self.data_dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("perdure exited: " + self.stderr())
            if os.path.exists(self.ca):
                try:
                    if self.client(socket_timeout=2).ping():
                        return self
                except (redis.ConnectionError, redis.TimeoutError, ssl.SSLError, OSError):
                    pass
                except redis.ResponseError as e:
                    if "LOADING" not in str(e):
                        raise
            time.sleep(0.05)
        raise RuntimeError("perdure did not start: " + self.stderr())

    def stderr(self) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def client(self, **kw) -> redis.Redis:
        kw.setdefault("socket_timeout", 10)
        kw.setdefault("protocol", 2)
        return redis.Redis(host="127.0.0.1", port=self.port, ssl=True, ssl_ca_certs=self.ca,
                           ssl_check_hostname=False, **kw)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "errf", None):
            self.errf.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
