"""The outage proxy of the tests (tests/tcp_proxy.py) does what the outage tests rely on."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from tcp_proxy import tcp_proxy


@pytest.fixture
def echo_port() -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=echo, args=(connection,), daemon=True).start()

    def echo(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(1024):
                connection.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    yield port
    listener.close()


def round_trip(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(payload)
        return connection.recv(1024)


def dropped(connection: socket.socket) -> bool:
    """Whether the peer is gone: a reset, or an orderly end of stream."""
    try:
        connection.sendall(b"two")
        return connection.recv(1024) == b""
    except ConnectionError:
        return True


def test_forwards_then_refuses_then_forwards_again(echo_port: int) -> None:
    with tcp_proxy("127.0.0.1", echo_port) as proxy:
        assert round_trip(proxy.port, b"hello") == b"hello"
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            round_trip(proxy.port, b"down")
        proxy.restore()
        assert round_trip(proxy.port, b"back") == b"back"


def test_cut_drops_open_connections_but_keeps_listening(echo_port: int) -> None:
    with tcp_proxy("127.0.0.1", echo_port) as proxy:
        connection = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        connection.sendall(b"one")
        assert connection.recv(1024) == b"one"
        proxy.cut()
        assert dropped(connection)
        connection.close()
        assert round_trip(proxy.port, b"new") == b"new"
