"""Swagger UI at ``/docs`` and the OpenAPI document at ``/openapi.json``, on the local API only.

Never deployed: API Gateway serves only the template's routes. Locally, a developer gets a page to read the
contract and try requests against the running handlers, with no network: Swagger UI's files come from a
pinned PyPI package (``swagger-ui-bundle-v2`` in requirements/dev.txt) and are served from here, the page
references nothing but this server, and Swagger UI's online validator badge is switched off.

The document is generated from the running code on first request (``tools.openapi``), so it never lags
behind local edits the way the committed ``openapi.json`` can until ``make openapi`` runs. Neither path
needs an API key: the page holds no data, and "Try it out" sends the key the user enters under "Authorize".
"""

from __future__ import annotations

import threading
from importlib import import_module
from pathlib import Path

from tools.local_gateway import Reply, Request

DOCS = "/docs"
OPENAPI = "/openapi.json"
SERVED_BY = "local:docs"

# The few files of the Swagger UI distribution the page uses, with their media types (nothing else is served).
_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "index.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

PAGE = f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>RAGFlow-compatible dataset API (local)</title>
    <link rel="stylesheet" type="text/css" href="{DOCS}/swagger-ui.css">
    <link rel="stylesheet" type="text/css" href="{DOCS}/index.css">
    <link rel="icon" type="image/png" href="{DOCS}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="{DOCS}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{DOCS}/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="{DOCS}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="{DOCS}/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise send the document to an online validator for its badge.
INITIALIZER = f"""window.onload = function () {{
  window.ui = SwaggerUIBundle({{
    url: "{OPENAPI}",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  }});
}};
"""

_document: bytes | None = None
_document_lock = threading.Lock()


def assets_dir() -> Path | None:
    """Swagger UI's files from the pinned package, or None if the package is not installed."""
    try:
        return Path(str(import_module("swagger_ui_bundle").swagger_ui_path))
    except ImportError:
        return None


def openapi_document() -> bytes:
    """The OpenAPI document of the running code, generated once per process."""
    global _document
    with _document_lock:
        if _document is None:
            from tools import openapi  # noqa: PLC0415 - imports every function again: only when asked for

            _document = openapi.render(openapi.build()).encode()
        return _document


def _reply(status: int, content_type: str, body: bytes, cache: str = "no-cache") -> Reply:
    headers = [("Content-Type", content_type), ("Cache-Control", cache), ("X-Content-Type-Options", "nosniff")]
    return Reply(status, headers, body, SERVED_BY)


_PAGES = {
    DOCS: ("text/html; charset=utf-8", PAGE.encode()),
    DOCS + "/": ("text/html; charset=utf-8", PAGE.encode()),
    DOCS + "/index.html": ("text/html; charset=utf-8", PAGE.encode()),
    DOCS + "/swagger-initializer.js": ("text/javascript; charset=utf-8", INITIALIZER.encode()),
}


def serve(request: Request) -> Reply | None:
    """The reply for a docs path (GET or HEAD), or None: then the request is the gateway's."""
    if request.method not in {"GET", "HEAD"}:
        return None
    path = request.raw_path
    if path == OPENAPI:
        return _reply(200, "application/json", openapi_document())
    if path in _PAGES:
        return _reply(200, *_PAGES[path])
    return _asset(path.removeprefix(DOCS + "/")) if path.startswith(DOCS + "/") else None


def _asset(name: str) -> Reply | None:
    """One of Swagger UI's files named in ``_ASSETS`` (a fixed list: no path from the client reaches the disk)."""
    if name not in _ASSETS:
        return None
    folder = assets_dir()
    if folder is None:
        message = "Swagger UI is not installed: run `make .venv/.installed` (swagger-ui-bundle-v2)\n"
        return _reply(503, "text/plain; charset=utf-8", message.encode())
    return _reply(200, _ASSETS[name], (folder / name).read_bytes(), cache="max-age=3600")
