"""The API's shapes, one module per noun: what a request may send (strict pydantic models that name
the offending field) and what every response and event carries (models built from database rows).

These models are the single source of the API's contract: handlers parse and answer with them, and
``shared.openapi`` generates the OpenAPI document from them.
"""
