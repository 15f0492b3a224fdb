"""The OpenAPI document tells the truth about errors: each operation lists what it can send.

:func:`install` wraps ``app.openapi`` so that every operation documents each
error status it can answer with, with the body and headers
:data:`rhizo.clinic.core.errors.ERROR_RESPONSES` gives that status (the same table
the exception handlers are installed from). Which statuses an operation can
send is read off the route itself, by the rule that produces each one:

=====  =====================================================================
401    the route reads the bearer token (``OAuth2PasswordBearer`` dependency)
403    the route needs a fully signed-in user (``get_current_user`` refuses a
       token good only for enrolling a second factor), or its permission
       dependency names a permission some role lacks
404    the path names a record (a path parameter)
409    an authenticated POST/PUT/PATCH/DELETE whose endpoint takes the database
       session (it writes: every write commits through ``transactions.transaction``,
       which turns a constraint clash into 409)
400    the route takes a request body (FastAPI answers 400 to one it cannot decode)
413    the route takes a request body (``BodySizeLimitMiddleware``)
422    the route takes any parameter or body (request validation)
=====  =====================================================================

A status no rule finds (login's 401 and 429, the durability analysis's 404
when nothing is assessable yet) is declared by its view with
``responses=declare(...)``; the body and description still come from the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import OAuth2PasswordBearer
from pydantic.json_schema import models_json_schema

from rhizo.clinic.core.auth.models import Role
from rhizo.clinic.core.auth.permissions import allows
from rhizo.clinic.core.deps import RoleDependency, get_current_user, get_session
from rhizo.clinic.core.errors import ERROR_RESPONSES

_REF = "#/components/schemas/{model}"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: FastAPI's own 422 models, replaced by :class:`rhizo.clinic.core.errors.ValidationErrorBody`.
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")


def declare(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a view: error statuses no rule of this module finds for it."""
    unknown = [code for code in statuses if code not in ERROR_RESPONSES]
    if unknown:
        raise ValueError(f"no error response is defined for status {unknown}")
    return {code: {"description": ERROR_RESPONSES[code].description} for code in statuses}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _some_role_lacks(call: Any) -> bool:
    if isinstance(call, RoleDependency):
        return not all(allows(role, call.permission) for role in Role)
    return False


def error_statuses(route: APIRoute, effective: Dependant | None = None) -> list[int]:
    """The error statuses ``route`` can send, by the rules of the module docstring.

    ``effective`` is the route's dependant as included (with the app's and the
    including routers' dependencies); by default the route's own.
    """
    dependants = list(_dependants(effective or route.dependant))
    calls = [dependant.call for dependant in dependants]
    bearer = any(isinstance(call, OAuth2PasswordBearer) for call in calls)
    signed_in = get_current_user in calls
    has_path = any(dependant.path_params for dependant in dependants)
    has_params = has_path or any(
        dependant.query_params or dependant.header_params or dependant.cookie_params
        for dependant in dependants
    )
    found: set[int] = {int(code) for code in route.responses if int(code) in ERROR_RESPONSES}
    if bearer:
        found.add(401)
    if signed_in or any(_some_role_lacks(call) for call in calls):
        found.add(403)
    if has_path:
        found.add(404)
    writes = any(sub.call is get_session for sub in route.dependant.dependencies)
    if bearer and writes and set(route.methods or ()) & _WRITES:
        found.add(409)
    if route.body_field is not None:
        found.update((400, 413))
    if has_params or route.body_field is not None:
        found.add(422)
    return sorted(found)


def _response(code: int) -> dict[str, Any]:
    error = ERROR_RESPONSES[code]
    response: dict[str, Any] = {
        "description": error.description,
        "content": {
            "application/json": {"schema": {"$ref": _REF.format(model=error.body.__name__)}}
        },
    }
    if error.headers:
        response["headers"] = {
            name: {
                "description": header.description,
                "required": header.always,
                "schema": {"type": header.json_type},
            }
            for name, header in error.headers.items()
        }
    return response


def _operations(app: FastAPI) -> Iterator[tuple[str, str, APIRoute, Dependant]]:
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, APIRoute) and route.include_in_schema:
            effective = getattr(context, "dependant", None)
            dependant = effective if isinstance(effective, Dependant) else route.dependant
            for method in context.methods or ():
                yield str(context.path_format), method.lower(), route, dependant


def document(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add every operation's error responses to ``schema`` (the app's OpenAPI), in place."""
    paths = schema.get("paths", {})
    for path, method, route, dependant in _operations(app):
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        for code in error_statuses(route, dependant):
            responses[str(code)] = _response(code)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    bodies = {error.body for error in ERROR_RESPONSES.values()}
    _, top = models_json_schema(
        [(body, "serialization") for body in sorted(bodies, key=lambda body: body.__name__)],
        ref_template=_REF,
    )
    components.update(top.get("$defs", {}))
    text = repr(paths)
    for name in _FASTAPI_422:
        if f"'#/components/schemas/{name}'" not in text:
            components.pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the schema with every error response documented."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
