"""A Unix socket that relays the Docker API to the real engine, for engine-fault tests.

Tests point DOCKER_HOST at the relay's socket. Taking the relay down plays an engine that stopped,
and restricting the socket's permissions plays a user outside the docker group. The real engine
and its socket stay untouched.
"""

import contextlib
import os
import re
import socket
import threading
from pathlib import Path


class EngineRelay:
    """Relay connections from a socket of the test's own to the engine's socket.

    stop_on: a regular expression (bytes). The first time a request from a client matches it, the
    relay closes its socket and every open connection before that request reaches the engine.
    """

    def __init__(self, path, engine_socket="/var/run/docker.sock", stop_on=None):
        self.path = Path(path)
        self.engine_socket = engine_socket
        self.stop_on = re.compile(stop_on) if stop_on else None
        self.stopped_by_request = threading.Event()
        self._listener = None
        self._connections = set()
        self._lock = threading.Lock()

    @property
    def docker_host(self):
        return f"unix://{self.path}"

    def start(self):
        """Listen on the relay's socket, replacing a socket file that a stop left behind."""
        if self.path.exists():
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        os.chmod(self.path, 0o666)
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self):
        """Close the socket and all connections, keeping the socket file as a killed engine does."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            listener.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                engine.connect(self.engine_socket)
            except OSError:
                client.close()
                engine.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    engine.close()
                    return
                self._connections.update((client, engine))
            threading.Thread(target=self._pipe, args=(client, engine, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(engine, client, False), daemon=True).start()

    def _pipe(self, source, target, from_client):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if from_client and data and self.stop_on and self.stop_on.search(data):
                self.stop_on = None
                self.stopped_by_request.set()
                self.stop()
                return
            if not data:
                break
            try:
                target.sendall(data)
            except OSError:
                break
        # Pass the end of the stream on, so a hijacked stream (attach, logs) ends on both sides.
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
