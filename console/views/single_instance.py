"""One console per user and store: a second launch hands its link to the first and exits.

The first instance listens on a local socket (QLocalServer) named after the user and the
store; a later launch connects, sends its argument (a deep link, or nothing to just raise
the window) and ends. Different stores get different names, so two consoles on two stores
can run side by side.
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 500
MAX_MESSAGE = 4096


def instance_name(db_url: str) -> str:
    """The local socket name for this user and store."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "console"
    digest = hashlib.sha256(f"{user}\n{db_url}".encode()).hexdigest()[:16]
    return f"incident-console-{digest}"


def forward(name: str, message: str) -> bool:
    """Send `message` to a running instance; False when none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write((message[:MAX_MESSAGE] + "\n").encode("utf-8"))
    socket.flush()  # usually writes everything at once; otherwise wait for the rest
    sent = socket.bytesToWrite() == 0 or socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    return sent


class InstanceServer(QObject):
    """Listens for later launches; emits `received(message)` for each."""

    received = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self._sockets: list[QLocalSocket] = []
        self.server.newConnection.connect(self._accept)
        if not self.server.listen(name):
            # A stale socket left by a crashed instance: nobody answered, so reclaim it.
            QLocalServer.removeServer(name)
            self.server.listen(name)

    @property
    def listening(self) -> bool:
        """Whether later launches can reach this instance."""
        return self.server.isListening()

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            self._sockets.append(socket)
            socket.readyRead.connect(self._read)
            socket.disconnected.connect(self._drop)
            self._read_from(socket)  # the message may have arrived with the connection

    def _read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read_from(socket)

    def _read_from(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
            self.received.emit(line[:MAX_MESSAGE])

    def _drop(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket) and socket in self._sockets:
            self._read_from(socket)
            self._sockets.remove(socket)
            socket.deleteLater()

    def close(self) -> None:
        """Stop listening and let go of every connection."""
        self.server.close()
        for socket in self._sockets:
            socket.readyRead.disconnect(self._read)
            socket.disconnected.disconnect(self._drop)
            socket.abort()
        self._sockets.clear()
