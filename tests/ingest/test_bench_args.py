"""`make bench-ingest`'s arguments: a replica count below one is refused before anything starts."""

from __future__ import annotations

import pytest

from bench import ingest as bench


def test_replicas_below_one_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[object] = []
    monkeypatch.setattr(bench, "main", lambda args: started.append(args))
    monkeypatch.setattr("sys.argv", ["bench", "--replicas", "0"])
    with pytest.raises(SystemExit) as exit_info:
        bench.run()
    assert exit_info.value.code == 2
    assert "--replicas must be at least 1" in capsys.readouterr().err
    assert started == []


def test_two_replicas_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    async def fake_main(args: object) -> None:
        seen.append(args.replicas)  # type: ignore[attr-defined]

    monkeypatch.setattr(bench, "main", fake_main)
    monkeypatch.setattr("sys.argv", ["bench"])
    bench.run()
    assert seen == [2]
