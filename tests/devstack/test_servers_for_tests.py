"""The order in which the fixtures look for servers: environment, then Docker, then launcher."""

from __future__ import annotations

import pytest

from crm_devstack import servers_for_tests
from crm_devstack.servers_for_tests import ENV_REDIS, ServersForTests


def refuse(*_: object, **__: object) -> str:
    raise AssertionError("this source must not be consulted")


def test_address_in_the_environment_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_REDIS, "redis://given:6379/0")
    monkeypatch.setattr(servers_for_tests, "docker_answers", refuse)
    monkeypatch.setattr(ServersForTests, "_launch", staticmethod(refuse))
    assert ServersForTests().redis_url() == "redis://given:6379/0"


def test_docker_comes_before_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_REDIS, raising=False)
    monkeypatch.setattr(servers_for_tests, "docker_answers", lambda: True)
    monkeypatch.setattr(ServersForTests, "_docker_redis", lambda self: "redis://container:1/0")
    monkeypatch.setattr(ServersForTests, "_launch", staticmethod(refuse))
    source = ServersForTests()
    assert source.redis_url() == "redis://container:1/0"
    # Asked again, the same server is handed out: nothing new is started.
    monkeypatch.setattr(ServersForTests, "_docker_redis", refuse)
    assert source.redis_url() == "redis://container:1/0"
