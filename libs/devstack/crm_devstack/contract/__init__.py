"""The API's published contract, generated from the code: one OpenAPI document of every route
the gateway serves and the AsyncAPI document of the topic (docs/api.md, Documents)."""
