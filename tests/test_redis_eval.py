"""The surge path's own Redis socket (participate/redis_eval.py): integer replies, and None
(so redis-py takes over) for an error reply or a dropped connection."""

from __future__ import annotations

import socket
import uuid

import pytest

redis = pytest.importorskip("redis")


@pytest.fixture
def client():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return redis.Redis(host="127.0.0.1", port=6379, db=9)


def test_integer_replies_on_the_selected_database(client):
    from participate.redis_eval import Wire

    wire = Wire(client.connection_pool)
    key = f"test-wire-{uuid.uuid4().hex}"
    assert wire.integer(b"INCRBY", key, 5) == 5
    assert wire.integer(b"INCRBY", key, 2) == 7
    assert int(client.get(key)) == 7  # redis-py reads the same key in db 9
    client.delete(key)


def test_an_error_reply_or_a_dropped_socket_hands_over_to_redis_py(client):
    from participate.redis_eval import Wire

    wire = Wire(client.connection_pool)
    assert wire.integer(b"EVALSHA", "0" * 40, 0) is None  # NOSCRIPT
    key = f"test-wire-{uuid.uuid4().hex}"
    assert wire.integer(b"INCRBY", key, 1) == 1  # a fresh socket after the error
    wire.local.sock.close()  # the connection drops
    assert wire.integer(b"INCRBY", key, 1) is None  # not sent: the caller sends it again
    assert wire.integer(b"INCRBY", key, 1) == 2
    assert wire.integer(b"GET", key) is None  # not an integer reply
    client.delete(key)


def test_authenticated_or_tls_redis_stays_with_redis_py():
    from participate.redis_eval import Wire

    pool = redis.ConnectionPool(host="127.0.0.1", port=6379, password="secret")
    assert not Wire(pool).usable
    assert Wire(pool).integer(b"PING") is None
