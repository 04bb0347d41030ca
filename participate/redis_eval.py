"""One Redis command on a socket of the thread's own: the surge path's rate-limit round trip.

Each signature and each ballot counts its rate limits in one ``EVALSHA`` (``surge.hit``).
Through redis-py, the pool checkout and release, retries and instrumentation around that
one command cost more CPU than the round trip itself. :class:`Wire` sends the command as
RESP on a socket each thread keeps, and reads the integer reply.

It takes only the plain case: a Redis over TCP or a unix socket, without TLS, username or
password (those stay with redis-py). Any other reply (an error such as ``NOSCRIPT``), or
a socket error, closes the socket and returns None: the caller then runs the command
through redis-py, which loads the script or reconnects and retries as usual.
"""

from __future__ import annotations

import os
import socket
import threading

from redis.connection import Connection, UnixDomainSocketConnection


class Wire:
    def __init__(self, pool):
        kwargs = pool.connection_kwargs
        self.usable = pool.connection_class in (Connection, UnixDomainSocketConnection) and not any(
            kwargs.get(k) for k in ("password", "username", "ssl", "credential_provider")
        )
        self.path = kwargs.get("path")
        self.address = (kwargs.get("host", "localhost"), int(kwargs.get("port", 6379)))
        self.db = int(kwargs.get("db") or 0)
        self.timeout = kwargs.get("socket_timeout") or 5.0
        self.local = threading.local()

    def _socket(self) -> socket.socket:
        sock = getattr(self.local, "sock", None)
        if sock is not None and self.local.pid == os.getpid():
            return sock
        if self.path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.path)
        else:
            sock = socket.create_connection(self.address, timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.db:
            sock.sendall(_command(b"SELECT", self.db))
            if _read_line(sock) != b"+OK":
                sock.close()
                raise OSError("SELECT refused")
        self.local.sock, self.local.pid = sock, os.getpid()
        return sock

    def integer(self, *args) -> int | None:
        """Send one command, return its integer reply; None for anything else (see above)."""
        if not self.usable:
            return None
        try:
            sock = self._socket()
            sock.sendall(_command(*args))
            line = _read_line(sock)
        except OSError:
            self.close()
            return None
        if line[:1] == b":":
            return int(line[1:])
        self.close()  # an error reply: the next command starts afresh
        return None

    def close(self) -> None:
        sock = getattr(self.local, "sock", None)
        self.local.sock = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


def _command(*args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        value = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


def _read_line(sock: socket.socket) -> bytes:
    data = sock.recv(256)
    while not data.endswith(b"\r\n"):
        more = sock.recv(256)
        if not more:
            raise OSError("connection closed")
        data += more
        if len(data) > 65536:
            raise OSError("reply too long")
    line, _, rest = data.partition(b"\r\n")
    if rest:  # more than one reply: the stream is out of step
        raise OSError("unexpected data")
    return line
