"""A TCP proxy in front of a server (a database, a status-list server) that a test can cut.

Why a proxy and not a stopped server: the PostgreSQL at 127.0.0.1:5432 is shared by every test
worker, so the outage has to be private to one test. :meth:`CuttableProxy.cut` closes the
listening socket (new connections are refused, as from a stopped server) and every live
connection in both directions (as when the server or the network dies); :meth:`restore` listens
again on the same port, so the client's URL never changes. :meth:`blackhole` instead accepts
connections and never answers, the shape of a firewalled or frozen server, where only a
timeout ends the wait; :meth:`drop` accepts and closes at once, a server that crashes on every
request.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Final

__all__ = ["CuttableProxy", "cuttable_proxy"]

_CHUNK: Final = 65_536


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class CuttableProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream`` until cut (see the module docstring)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        #: What happens to an accepted connection: "forward", "hold" (never answer), "drop".
        self._mode = "forward"
        self.port = 0
        #: Connections accepted so far: a test can tell that the service reconnected.
        self.accepted = 0

    @property
    def listening(self) -> bool:
        """False between :meth:`cut` and :meth:`restore`."""
        return self._listener is not None

    def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop every live one."""
        with self._lock:
            listener, self._listener = self._listener, None
            live, self._live = self._live, set()
        if listener is not None:
            _close(listener)
        for sock in live:
            _close(sock)

    def restore(self) -> None:
        """Forward again, on the same port."""
        self._mode = "forward"
        if self._listener is None:
            self.start()

    def blackhole(self) -> None:
        """Drop every live connection; accept new ones but never send or forward a byte."""
        self._switch("hold")

    def drop(self) -> None:
        """Drop every live connection; close new ones as soon as they are accepted."""
        self._switch("drop")

    def _switch(self, mode: str) -> None:
        self.cut()
        self._mode = mode
        self.start()

    def stop(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by cut()
            with self._lock:
                if self._listener is not listener:
                    _close(client)
                    return
                self.accepted += 1
                self._live.add(client)
            if self._mode == "drop":
                with self._lock:
                    self._live.discard(client)
                _close(client)
                continue
            if self._mode == "hold":
                continue  # held open, never answered
            try:
                server = socket.create_connection(self._upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._live.add(server)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(_CHUNK):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._live.discard(source)
                self._live.discard(target)
            _close(source)
            _close(target)


@contextlib.contextmanager
def cuttable_proxy(upstream: tuple[str, int]) -> Iterator[CuttableProxy]:
    """A started proxy, stopped (every socket closed) afterwards."""
    proxy = CuttableProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
