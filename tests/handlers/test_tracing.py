"""X-Ray SDK tracing is opt-in (``XRAY_SDK_TRACING``); switched on, every request runs inside the Tracer's
handler segment and carries its tenant as an annotation, and the answers stay the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import TENANT_A, LambdaContext, function, route_event
from dataset_core import config, http, observability

pytestmark = pytest.mark.usefixtures("table")


def test_with_xray_sdk_tracing_on_each_request_is_captured_and_annotated_with_its_tenant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = function("create_dataset").app  # imported (and its own handler made) before tracing is switched on
    tracer = observability.tracer()
    captured: list[str] = []
    annotations: list[tuple[str, Any]] = []
    capture = tracer.capture_lambda_handler

    def recording_capture(handler: Any) -> Any:
        captured.append(handler.__name__)
        return capture(handler)

    monkeypatch.setattr(tracer, "capture_lambda_handler", recording_capture)
    monkeypatch.setattr(tracer, "put_annotation", lambda key, value: annotations.append((key, value)))
    monkeypatch.setenv("XRAY_SDK_TRACING", "true")
    config.settings.cache_clear()
    try:
        handler: Any = http.lambda_handler_for(app)
    finally:
        monkeypatch.delenv("XRAY_SDK_TRACING")
        config.settings.cache_clear()
    event = route_event("create_dataset_restful", body={"name": "traced"})
    reply = handler(event, LambdaContext(function_name="create_dataset"))
    assert (reply["statusCode"], json.loads(reply["body"])["data"]["name"]) == (200, "traced")
    assert captured == ["serve"]
    assert annotations == [("tenant_id", TENANT_A)]


def test_without_it_no_tracer_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    app = function("create_dataset").app
    observability.tracer.cache_clear()
    try:
        http.lambda_handler_for(app)
        assert observability.tracer.cache_info().currsize == 0
    finally:
        observability.tracer.cache_clear()
