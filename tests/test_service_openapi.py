"""The OpenAPI description cannot drift from the service's routes."""

from __future__ import annotations

import re

from tornado import web

from yiyuan.service import app, openapi

METHODS = ("get", "post", "put", "delete", "patch")


def _shape(path: str) -> str:
    """``api/courses/([a-z]…)/enrol`` and ``/api/courses/{course}/enrol`` → one shape."""
    path = "/" + path.lstrip("/")
    path = re.sub(r"\{[^}]+\}", "{}", path)
    depth, out = 0, []
    for char in path:
        if char == "(":
            if depth == 0:
                out.append("{}")
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out).replace("\\", "")


def _api_routes() -> dict[str, set[str]]:
    routes = {}
    for module in app.ROUTE_MODULES:
        for path, handler in module.routes:
            if not path.startswith("api/"):
                continue  # pages, not API
            methods = {
                m for m in METHODS if getattr(handler, m) is not getattr(web.RequestHandler, m)
            }
            routes[_shape(path)] = methods
    return routes


def test_every_api_route_and_method_is_described_and_nothing_else():
    described = {
        _shape(path): {m for m in item if m in METHODS} for path, item in openapi.PATHS.items()
    }
    assert _api_routes() == described


def test_spec_is_openapi_3_with_chinese_error_responses():
    spec = openapi.spec()
    assert spec["openapi"].startswith("3.")
    assert spec["paths"]["/api/exchange/submissions/{course}/{module}"]["post"]["responses"][
        "413"
    ] == {"$ref": "#/components/responses/E413"}
    assert spec["components"]["responses"]["E403"]["description"] == "无权限"
