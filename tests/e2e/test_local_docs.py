"""The local API's Swagger UI (``/docs``) and OpenAPI document (``/openapi.json``): offline and keyless.

The page must work on a machine without network: every URL it references is this server's, and each of
them answers. Neither path involves the authorizer or a function, and neither exists for any other method
or on any other path (those stay the gateway's 404).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from local_server import LocalApi, running
from tools import openapi, template

URL_ATTRIBUTES = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("local_docs") / "state") as server:
        yield server


def test_docs_page_answers_without_a_key_and_references_only_local_urls(api: LocalApi) -> None:
    before = api.all_invocations()
    page = api.request("GET", "/docs")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.raw.decode()
    assert "http://" not in html
    assert "https://" not in html
    urls = URL_ATTRIBUTES.findall(html)
    assert len(urls) >= 5, urls
    for url in urls:
        assert url.startswith("/docs/"), f"{url} is not this server's"
        asset = api.request("GET", url)
        assert asset.status == 200, url
        assert len(asset.raw) > 0, url
    assert "swagger-ui-bundle.js" in " ".join(urls)
    assert api.all_invocations() == before, "the docs never reach the authorizer or a function"


def test_the_initializer_loads_the_local_document_and_no_online_validator(api: LocalApi) -> None:
    script = api.request("GET", "/docs/swagger-initializer.js")
    assert script.status == 200
    assert script.headers["content-type"].startswith("text/javascript")
    text = script.raw.decode()
    assert 'url: "/openapi.json"' in text
    assert "validatorUrl: null" in text
    assert "http" not in text


def test_assets_have_their_media_types(api: LocalApi) -> None:
    expected = {"/docs/swagger-ui.css": "text/css", "/docs/swagger-ui-bundle.js": "text/javascript"}
    for path, media_type in expected.items():
        reply = api.request("GET", path)
        assert reply.headers["content-type"].startswith(media_type), path
    assert api.request("GET", "/docs/swagger-ui-bundle.js").raw.startswith(b"/*! For license information")


def test_openapi_json_answers_without_a_key_and_is_the_code_s_document(api: LocalApi) -> None:
    reply = api.request("GET", "/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    document = reply.body
    assert document["openapi"] == "3.1.0"
    assert openapi.operations(document) == {(r.method, r.path) for r in template.routes()}
    assert document == json.loads(openapi.render(openapi.build()))


def test_docs_and_index_variants_and_head(api: LocalApi) -> None:
    for path in ("/docs/", "/docs/index.html"):
        assert api.request("GET", path).raw == api.request("GET", "/docs").raw, path
    head = api.request("HEAD", "/docs")
    assert head.status == 200
    assert head.raw == b""


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/docs/../template.yaml"),
        ("GET", "/docs/swagger-ui.js.map"),
        ("GET", "/docs/oauth2-redirect.html"),
        ("GET", "/api/v1/docs"),
        ("POST", "/docs"),
        ("DELETE", "/openapi.json"),
    ],
)
def test_nothing_else_is_served_beside_the_api(api: LocalApi, method: str, path: str) -> None:
    reply = api.request(method, path)
    assert reply.status == 404
    assert reply.body == {"code": 404, "message": f"Not Found: {path}", "data": None}
