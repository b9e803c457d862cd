"""Security requirements of routes that check their caller themselves, for the OpenAPI document.

A route that verifies a signature over the raw bytes, or takes either a token or a signature,
reads the headers itself, so FastAPI declares no security for it. `any_of(...)` is that
route's `openapi_extra`: the operation takes any one of the alternatives, and the schemes of
one alternative are required together (OpenAPI's security requirement objects). The schemes'
definitions travel under `x-security-schemes` and are moved into
`components/securitySchemes` when the document is finished (openapi_bodies.move_components).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from fastapi.encoders import jsonable_encoder

from crm_servicekit.auth import USER_TOKEN_SCHEME
from crm_servicekit.openapi_bodies import SECURITY_COMPONENTS_KEY


@dataclass(frozen=True)
class Scheme:
    """A security scheme: its name in `components/securitySchemes` and its definition."""

    name: str
    definition: dict[str, Any]


def header_key(name: str, header: str, description: str) -> Scheme:
    """A value the caller sends in a header (OpenAPI's `apiKey` in `header`)."""
    return Scheme(
        name, {"type": "apiKey", "in": "header", "name": header, "description": description}
    )


# The same definition as the routes that take the token through a dependency declare.
USER_TOKEN: Final = Scheme(
    USER_TOKEN_SCHEME.scheme_name,
    jsonable_encoder(USER_TOKEN_SCHEME.model, by_alias=True, exclude_none=True),
)

# Standard Webhooks (docs/api.md, Signatures): the three headers go together.
STANDARD_WEBHOOKS: Final = (
    header_key("webhook-id", "webhook-id", "Standard Webhooks: the message id."),
    header_key(
        "webhook-timestamp",
        "webhook-timestamp",
        "Standard Webhooks: Unix seconds; more than 5 minutes off is refused.",
    ),
    header_key(
        "webhook-signature",
        "webhook-signature",
        'Standard Webhooks: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{raw body}">`, keyed'
        " by the base64-decoded `whsec_` secret; several, space-separated, while secrets rotate.",
    ),
)


def any_of(*alternatives: Sequence[Scheme]) -> dict[str, Any]:
    """`openapi_extra` of an operation that takes any one of the alternatives."""
    return {
        "security": [{scheme.name: [] for scheme in schemes} for schemes in alternatives],
        SECURITY_COMPONENTS_KEY: {
            scheme.name: scheme.definition for schemes in alternatives for scheme in schemes
        },
    }
