"""API Gateway's request path as the local API plays it (``tools.local_gateway``), in-process with stand-in
functions: Lambda's own payload limits at their exact bounds, and routes matched on the whole path.

AWS's documentation for what is pinned here:

* Lambda quotas, "Invocation payload (request and response): 6 MB each for synchronous":
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html . Lambda's own errors give the exact
  numbers: "Request must be smaller than 6291456 bytes for the InvokeFunction operation" and "Response payload
  size exceeded maximum allowed payload size (6291556 bytes)".
* Handling Lambda errors with an API Gateway API, "If the function runs but returns an error [...] API Gateway
  returns a 502": https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html . An oversized
  response is such an error: the handler has run, the runtime cannot deliver its result (API Gateway logs it as
  INTEGRATION_FAILURE; the template has no response for that type, so DEFAULT_5XX renders it).
* An event over the invocation limit is refused by Lambda before the function runs; through API Gateway the
  client gets 413 with ``{"message": "Request Too Long"}``, the REQUEST_TOO_LARGE gateway response
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html), which the
  template renders.
* The Python runtime writes the handler's result as JSON with the default separators and, from python3.12,
  ``ensure_ascii=False`` (aws-lambda-python-runtime-interface-client, ``lambda_runtime_marshaller.py``): a
  response is measured in UTF-8 bytes, an emoji is 4 of them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from gateway_stubs import request, stub_gateway
from tools.local_gateway import MAX_INVOCATION_PAYLOAD, MAX_RESPONSE_PAYLOAD, payload_size

ID = "0190f5a2c3d44e7f8a9b0c1d2e3f4a5b"
TOO_LARGE = {
    "code": 101,
    "message": "Request too large: API Gateway takes a body of at most 10485760 bytes, and Lambda an event of at most 6291456 bytes (the body is limited to 1048576 bytes in any case)",
    "data": None,
}


def test_an_event_of_exactly_lambdas_invocation_limit_runs_and_one_byte_more_is_413() -> None:
    gateway, stubs = stub_gateway()
    create = stubs["CreateDatasetFunction"]
    gateway.handle(request("POST", body=b" "))
    overhead = payload_size(create.events[-1]) - 1  # the event around a body of one space
    exact = b" " * (MAX_INVOCATION_PAYLOAD - overhead)

    fits = gateway.handle(request("POST", body=exact))
    assert fits.status == 200
    assert payload_size(create.events[-1]) == MAX_INVOCATION_PAYLOAD == 6_291_456

    refused = gateway.handle(request("POST", body=exact + b" "))
    assert refused.status == 413
    assert json.loads(refused.body) == TOO_LARGE
    assert ("x-amzn-ErrorType", "BadRequestException") in refused.headers
    assert len(create.events) == 2  # the function never saw it


def test_the_invocation_limit_counts_the_event_as_json_not_the_body() -> None:
    """A 4 MB body of quotes is 8 MB once escaped inside the event's JSON: over Lambda's limit."""
    gateway, stubs = stub_gateway()
    reply = gateway.handle(request("POST", body=b'"' * (4 * 1024 * 1024)))
    assert reply.status == 413
    assert stubs["CreateDatasetFunction"].events == []


def _answer(body: str) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}


@pytest.mark.parametrize("character", ["x", "😀"])
def test_a_response_of_exactly_lambdas_response_limit_passes_and_one_byte_more_is_502(character: str) -> None:
    width = len(character.encode())
    room = MAX_RESPONSE_PAYLOAD - payload_size(_answer(""))
    exact = _answer(character * (room // width) + "x" * (room % width))
    assert payload_size(exact) == MAX_RESPONSE_PAYLOAD == 6_291_556

    passed = stub_gateway(exact)[0].handle(request())
    assert passed.status == 200
    assert passed.body == exact["body"].encode()

    over = _answer(exact["body"] + "x")
    failed = stub_gateway(over)[0].handle(request())
    request_id = dict(failed.headers)["x-amzn-RequestId"]
    assert failed.status == 502
    assert json.loads(failed.body) == {
        "code": 100,
        "message": f"Internal server error (request id {request_id})",
        "data": None,
    }


def test_a_response_the_runtime_cannot_serialize_is_502() -> None:
    reply = stub_gateway({"statusCode": 200, "body": b"bytes are not JSON"})[0].handle(request())
    assert reply.status == 502


@pytest.mark.parametrize(
    ("target", "resource", "parameters"),
    [
        ("/api/v1/datasets", "/api/v1/datasets", None),
        (f"/api/v1/datasets/{ID}", "/api/v1/datasets/{dataset_id}", {"dataset_id": ID}),
        (f"/api/v1/dataset/{ID}", "/api/v1/dataset/{dataset_id}", {"dataset_id": ID}),
        # a parameter is the whole decoded segment: the handler sees the newline and refuses the id
        (f"/api/v1/datasets/{ID}%0a", "/api/v1/datasets/{dataset_id}", {"dataset_id": f"{ID}\n"}),
        (f"/api/v1/datasets/{ID}%0A", "/api/v1/datasets/{dataset_id}", {"dataset_id": f"{ID}\n"}),
        (f"/api/v1/datasets/{ID}%20", "/api/v1/datasets/{dataset_id}", {"dataset_id": f"{ID} "}),
        ("/api/v1/data%73ets", "/api/v1/datasets", None),  # an encoded letter is the letter
        ("/api/v1/datasets%0a", None, None),
        ("/api/v1/datasets/", None, None),
        (f"/api/v1/datasets/{ID}/", None, None),
        (f"/api/v1/datasets/{ID}/extra", None, None),
        (f"/api/v1/datasets/{ID}%0a/extra", None, None),
        ("/api/v1//datasets", None, None),
        ("//api/v1/datasets", None, None),
        ("/API/v1/datasets", None, None),
        ("/base/api/v1/datasets", None, None),
        ("api/v1/datasets", None, None),
    ],
)
def test_routes_match_the_whole_path_and_parameters_are_whole_decoded_segments(
    target: str, resource: str | None, parameters: dict[str, str] | None
) -> None:
    gateway, stubs = stub_gateway()
    reply = gateway.handle(request("GET", target))
    events = [event for stub in stubs.values() for event in stub.events]
    if resource is None:
        assert reply.status == 404
        assert reply.served_by == "gateway:MISSING_AUTHENTICATION_TOKEN"
        assert events == []
        return
    (event,) = events
    assert event["resource"] == event["requestContext"]["resourcePath"] == resource
    assert event["pathParameters"] == parameters
    assert event["path"] == unquote(target)
