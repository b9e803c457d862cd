"""Where a Gateway API implementation sends a request, read from HTTPRoute rules: the
precedence the specification gives, for the tests of the generated route and the console's."""

from __future__ import annotations

from typing import Any


def _path_matches(match: dict[str, Any], path: str) -> bool:
    kind, value = match["type"], match["value"]
    if kind == "Exact":
        return bool(path == value)
    assert kind == "PathPrefix", kind
    # Gateway API: whole path segments, a trailing "/" of the value ignored.
    prefix = value.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def gateway_api_backend(route: dict[str, Any], method: str, path: str) -> str | None:
    """Where a Gateway API implementation sends the request (None: no rule matches, 404).

    Precedence among matching rules (Gateway API, HTTPRouteRule): an Exact path match first,
    then the longest path prefix, then a match naming the method.
    """
    candidates = []
    for rule in route["spec"]["rules"]:
        for match in rule["matches"]:
            if not _path_matches(match["path"], path):
                continue
            if "method" in match and match["method"] != method:
                continue
            rank = (
                match["path"]["type"] == "Exact",
                len(match["path"]["value"]),
                "method" in match,
            )
            candidates.append((rank, rule["backendRefs"][0]["name"]))
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: candidate[0])[1]
