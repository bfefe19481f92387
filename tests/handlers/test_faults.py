"""Faults injected under the SDK: DynamoDB throttles, fails, times out or cancels a transaction.

Every attempt the SDK makes passes through ``before-send``; the fixture below takes moto's stubber off
that event *for our one client* and puts an injector in front of it, which answers chosen attempts with
a fake DynamoDB error (or raises a botocore timeout or connection error) and hands the others to moto.
A faulted attempt never reaches moto, so nothing it would have written exists: exactly what a throttled
or failed request means on DynamoDB.

What this pins, for every operation of both API generations and for the authorizer:

* the SDK's standard retry mode retries transient errors (the configured attempts per call in all,
  counted per call from the ``amz-sdk-invocation-id`` and ``amz-sdk-request`` headers), and a fault that clears in time costs the client nothing;
* a fault that persists answers 503 in the envelope with code 105 — never a 500, never internals;
* nothing is half-written: a refused request leaves the table exactly as it was, and every tenant's
  datasets, name locks and counter stay consistent;
* the authorizer fails closed: it raises, and never returns an Allow policy it could not check.

botocore's backoff delay is patched to zero, so hundreds of retries cost no wall-clock time.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws
from moto.core.models import botocore_stubber

from conftest import (
    DEV_KEY,
    TENANT_A,
    TENANT_B,
    LambdaContext,
    Reply,
    create,
    function,
    invoke,
    load_event,
    route_event,
    scan,
    seed_datasets,
)
from dataset_core import api_keys
from dataset_core.errors import StorageUnavailable
from dataset_core.storage import client as storage
from dataset_core.storage import datasets as stored
from dataset_core.storage.datasets import name_lock_key
from tools import template
from tools.embedded_dynamodb import serialize_requests


def configured_attempts(client: Any) -> int:
    """Attempts per call the client makes in all. botocore reads a ``max_attempts`` given to ``Config`` as
    *retries* after the first attempt, and shows both spellings as ``total_max_attempts``."""
    retries: dict[str, Any] = client.meta.config.retries
    return int(retries["total_max_attempts"])


UNAVAILABLE = {"code": 105, "message": StorageUnavailable().message, "data": None}


# ---- faults ------------------------------------------------------------------------------------------------


class _RawBody(io.BytesIO):
    """What ``AWSResponse`` reads a body from (urllib3's ``stream``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


@dataclass(frozen=True)
class Fault:
    """One way an attempt can fail: a DynamoDB error response, or an exception under the SDK."""

    name: str
    status: int = 0
    code: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    exception: Callable[[str], Exception] | None = None

    def answer(self, request: AWSPreparedRequest) -> AWSResponse:
        if self.exception is not None:
            raise self.exception(request.url)
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}", "message": f"injected {self.code}"}
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "INJECTED"}
        return AWSResponse(
            request.url, self.status, HTTPHeaders.from_dict(headers), _RawBody(json.dumps(body | self.extra).encode())
        )


def _conflict_reasons(count: int) -> list[dict[str, str]]:
    reasons = [{"Code": "None"} for _ in range(count)]
    reasons[-1] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    return reasons


THROTTLING = Fault("throttling", 400, "ThrottlingException")
PROVISIONED = Fault("provisioned_throughput_exceeded", 400, "ProvisionedThroughputExceededException")
REQUEST_LIMIT = Fault("request_limit_exceeded", 400, "RequestLimitExceeded")
INTERNAL = Fault("internal_server_error_500", 500, "InternalServerError")
UNAVAILABLE_503 = Fault("service_unavailable_503", 503, "ServiceUnavailable")
READ_TIMEOUT = Fault("read_timeout", exception=lambda url: ReadTimeoutError(endpoint_url=url))
CONNECTION = Fault("connection_error", exception=lambda url: EndpointConnectionError(endpoint_url=url))
TRANSIENT_FAULTS = [THROTTLING, PROVISIONED, REQUEST_LIMIT, INTERNAL, UNAVAILABLE_503, READ_TIMEOUT, CONNECTION]

TRANSACTION_CONFLICT = Fault(
    "transaction_conflict",
    400,
    "TransactionCanceledException",
    extra={
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]",
        "CancellationReasons": _conflict_reasons(3),
    },
)
THROTTLED_TRANSACTION = Fault(
    "transaction_throttled",
    400,
    "TransactionCanceledException",
    extra={"Message": "Transaction cancelled [ThrottlingError]", "CancellationReasons": [{"Code": "ThrottlingError"}]},
)


@dataclass(frozen=True)
class CustomFault(Fault):
    """A fault whose answer a test writes itself."""

    answer_with: Callable[[AWSPreparedRequest], AWSResponse] | None = None

    def answer(self, request: AWSPreparedRequest) -> AWSResponse:
        assert self.answer_with is not None
        return self.answer_with(request)


@dataclass
class Attempt:
    operation: str
    invocation: str  # amz-sdk-invocation-id: one per API call, shared by its retries
    number: int  # amz-sdk-request: attempt=<n>
    faulted: bool
    body: bytes


class FaultInjector:
    """Sits on ``before-send`` in front of moto: answers armed operations with a fault, the rest via moto."""

    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts
        self.attempts: list[Attempt] = []
        self._armed: dict[str, tuple[Fault, int]] = {}

    def install(self, client: Any) -> None:
        """Take moto's stubber off this client's ``before-send`` and stand in front of it."""
        client.meta.events.unregister("before-send", botocore_stubber)
        client.meta.events.register("before-send.dynamodb", self)

    def arm(self, operation: str, fault: Fault, times: int = 10**6) -> None:
        """Fail the next ``times`` attempts of ``operation`` (a DynamoDB operation name) with ``fault``."""
        self._armed[operation] = (fault, times)

    def disarm(self) -> None:
        self._armed.clear()

    def __call__(self, request: AWSPreparedRequest, event_name: str, **kwargs: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        header = _text(request.headers.get("amz-sdk-request", ""))
        match = re.search(r"attempt=(\d+)", header)
        fault, times = self._armed.get(operation, (None, 0))
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        self.attempts.append(
            Attempt(
                operation=operation,
                invocation=_text(request.headers.get("amz-sdk-invocation-id", "")),
                number=int(match.group(1)) if match else 0,
                faulted=fault is not None and times > 0,
                body=body,
            )
        )
        if fault is not None and times > 0:
            self._armed[operation] = (fault, times - 1)
            return fault.answer(request)
        response: AWSResponse | None = botocore_stubber(event_name=event_name, request=request, **kwargs)
        return response

    def calls(self, operation: str) -> list[int]:
        """Attempts per API call of ``operation``, in call order: ``[4]`` is one call tried four times."""
        per_call: Counter[str] = Counter()
        order: list[str] = []
        for attempt in self.attempts:
            if attempt.operation == operation:
                if attempt.invocation not in per_call:
                    order.append(attempt.invocation)
                per_call[attempt.invocation] += 1
        return [per_call[i] for i in order]

    def injected(self) -> int:
        return sum(a.faulted for a in self.attempts)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.fixture(scope="module")
def _moto() -> Iterator[None]:
    serialize_requests()
    with mock_aws():
        yield
    storage.reset_client()


@pytest.fixture
def table(_moto: None) -> Iterator[Any]:
    """conftest's table (the template's definition, on moto atomic per request), made faster: moto starts
    once for this module, and each test gets the table dropped and recreated, and a new client (so the
    SDK's retry quota, which lives in the client, starts full)."""
    storage.reset_client()
    client = storage.client()
    if os.environ["TABLE_NAME"] in client.list_tables()["TableNames"]:
        client.delete_table(TableName=os.environ["TABLE_NAME"])
    client.create_table(**template.table_definition(os.environ["TABLE_NAME"]))
    yield client
    storage.reset_client()


@pytest.fixture
def faults(table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    """The injector, in front of moto on the test's client; botocore's backoff delay is zero and nothing sleeps."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # any backoff of our own between tries, too
    injector = FaultInjector(configured_attempts(table))
    injector.install(table)
    yield injector
    injector.disarm()


# ---- the table, raw ----------------------------------------------------------------------------------------


def assert_consistent(raw: list[dict[str, Any]]) -> dict[str, int]:
    """No dataset without its lock, no lock without its dataset, every counter exact; returns the counts."""
    datasets: dict[str, dict[str, str]] = {}
    locks: dict[str, dict[str, str]] = {}
    counters: dict[str, int] = {}
    for item in raw:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if not pk.startswith("TENANT#"):
            continue
        if sk.startswith("DATASET#"):
            datasets.setdefault(pk, {})[item["id"]["S"]] = item["name"]["S"]
            assert sk == "DATASET#" + item["id"]["S"]
        elif sk.startswith(("NAME#", "NAMEHASH#")):
            locks.setdefault(pk, {})[sk] = item["dataset_id"]["S"]
        elif sk == "META":
            counters[pk] = int(item.get("dataset_count", {"N": "0"})["N"])
    for pk in set(datasets) | set(locks) | set(counters):
        mine = datasets.get(pk, {})
        assert locks.get(pk, {}) == {name_lock_key(name): i for i, name in mine.items()}, pk
        assert counters.get(pk, 0) == len(mine), pk
    return {pk.removeprefix("TENANT#"): len(d) for pk, d in datasets.items()}


# ---- the operations ----------------------------------------------------------------------------------------


@dataclass
class World:
    """What each test starts from: two datasets of tenant A, one of tenant B, all made through the API."""

    alpha: str
    beta: str
    other: str


@pytest.fixture
def world(faults: FaultInjector) -> World:
    ids = [
        _created(create(name, tenant)) for name, tenant in (("alpha", TENANT_A), ("beta", TENANT_A), ("x", TENANT_B))
    ]
    return World(*ids)


def _created(reply: Reply) -> str:
    assert reply.status == 200, reply.body
    return str(reply.body["data"]["id"])


@dataclass(frozen=True)
class Case:
    """One request, and the DynamoDB operation whose fault it is made to meet."""

    id: str
    function: str
    event: Callable[[World], dict[str, Any]]
    faulted: str
    change: int = 0  # datasets tenant A gains (or loses) when the request succeeds


CASES = [
    Case("legacy-create", "create_dataset", lambda w: route_event("create_dataset_legacy", body={"dataset_name": "new"}), "TransactWriteItems", +1),
    Case("restful-create", "create_dataset", lambda w: route_event("create_dataset_restful", body={"name": "new"}), "TransactWriteItems", +1),
    Case("restful-create-taken-name-lookup", "create_dataset", lambda w: route_event("create_dataset_restful", body={"name": "ALPHA"}), "Query", +1),
    Case("legacy-list", "list_datasets", lambda w: route_event("list_datasets_legacy"), "Query"),
    Case("legacy-list-by-update-time", "list_datasets", lambda w: route_event("list_datasets_legacy", query={"orderby": "update_time", "desc": "false"}), "Query"),
    Case("restful-list", "list_datasets", lambda w: route_event("list_datasets_restful"), "Query"),
    Case("restful-list-total", "list_datasets", lambda w: route_event("list_datasets_restful", query={"orderby": "update_time"}), "GetItem"),
    Case("restful-list-by-name", "list_datasets", lambda w: route_event("list_datasets_restful", query={"name": "alpha"}), "GetItem"),
    Case("restful-list-by-ids", "list_datasets", lambda w: route_event("list_datasets_restful", query={"ids": f"{w.alpha},{w.beta}"}), "BatchGetItem"),
    Case("legacy-get", "get_dataset", lambda w: route_event("get_dataset_legacy", dataset_id=w.alpha), "GetItem"),
    Case("restful-get", "get_dataset", lambda w: route_event("get_dataset_restful", dataset_id=w.alpha), "GetItem"),
    Case("legacy-update-read", "update_dataset", lambda w: route_event("update_dataset_legacy", body={"name": "renamed"}, dataset_id=w.alpha), "GetItem"),
    Case("legacy-update-write", "update_dataset", lambda w: route_event("update_dataset_legacy", body={"name": "renamed"}, dataset_id=w.alpha), "TransactWriteItems"),
    Case("restful-update-read", "update_dataset", lambda w: route_event("update_dataset_restful", body={"name": "renamed"}, dataset_id=w.alpha), "GetItem"),
    Case("restful-update-write", "update_dataset", lambda w: route_event("update_dataset_restful", body={"name": "renamed"}, dataset_id=w.alpha), "TransactWriteItems"),
    Case("legacy-delete-read", "delete_dataset", lambda w: route_event("delete_dataset_legacy", dataset_id=w.alpha), "GetItem", -1),
    Case("legacy-delete-write", "delete_dataset", lambda w: route_event("delete_dataset_legacy", dataset_id=w.alpha), "TransactWriteItems", -1),
    Case("restful-bulk-delete-read", "delete_dataset", lambda w: route_event("delete_dataset_restful", body={"ids": [w.alpha, w.beta]}), "BatchGetItem", -2),
    Case("restful-bulk-delete-write", "delete_dataset", lambda w: route_event("delete_dataset_restful", body={"ids": [w.alpha, w.beta]}), "TransactWriteItems", -2),
    Case("restful-delete-all-read", "delete_dataset", lambda w: route_event("delete_dataset_restful", body={"delete_all": True}), "Query", -2),
    Case("restful-delete-all-write", "delete_dataset", lambda w: route_event("delete_dataset_restful", body={"delete_all": True}), "TransactWriteItems", -2),
]  # fmt: skip
WRITE_CASES = [c for c in CASES if c.faulted == "TransactWriteItems"]


def _case_id(case: Case) -> str:
    return case.id


def _fault_id(fault: Fault) -> str:
    return fault.name


# ---- handlers ----------------------------------------------------------------------------------------------


MATRIX = [
    pytest.param(case, fault, (i + j) % 2 == 0, id=f"{case.id}-{fault.name}")
    for i, case in enumerate(CASES)
    for j, fault in enumerate(TRANSIENT_FAULTS)
]
"""Every operation meets every transient fault; the fault that clears does so after one failed attempt or
after all but the last, alternating, so each operation and each fault sees both."""


@pytest.mark.parametrize(("case", "fault", "clears_at_once"), MATRIX)
def test_a_transient_fault_is_retried_answers_503_if_it_persists_and_costs_nothing_if_it_clears(
    case: Case, fault: Fault, clears_at_once: bool, faults: FaultInjector, world: World
) -> None:
    """Persistent: the SDK tries the failing call as often as it is configured to, then the client hears 503/105
    and the table is item-for-item what it was — no dataset, lock or count landed, not even half-way.
    Then the same request again, with the fault clearing in time: the SDK's retry succeeds, the client
    gets its 200, and the write (if any) is applied exactly once."""
    before = scan()
    counts_before = assert_consistent(before)
    faults.attempts.clear()
    faults.arm(case.faulted, fault)
    reply = invoke(case.function, case.event(world))
    faults.disarm()
    assert faults.calls(case.faulted) == [faults.max_attempts]
    assert (reply.status, reply.body) == (503, UNAVAILABLE)
    assert scan() == before

    failures = 1 if clears_at_once else faults.max_attempts - 1
    faults.attempts.clear()
    faults.arm(case.faulted, fault, times=failures)
    reply = invoke(case.function, case.event(world))
    faults.disarm()
    assert (reply.status, reply.body["code"]) == (200, 0), reply.body
    assert faults.injected() == failures
    first_faulted = next(a.invocation for a in faults.attempts if a.faulted)
    assert [a.number for a in faults.attempts if a.invocation == first_faulted] == list(range(1, failures + 2))
    counts = assert_consistent(scan())
    assert counts.get(TENANT_A, 0) == counts_before[TENANT_A] + case.change
    assert counts[TENANT_B] == counts_before[TENANT_B] == 1


@pytest.mark.parametrize("fault", [TRANSACTION_CONFLICT, THROTTLED_TRANSACTION], ids=_fault_id)
@pytest.mark.parametrize("case", WRITE_CASES, ids=_case_id)
def test_a_cancelled_transaction_without_a_failed_condition_answers_503_changing_nothing(
    case: Case, fault: Fault, faults: FaultInjector, world: World
) -> None:
    """``TransactionCanceledException`` whose reasons are a conflict or throttling (no condition failed)
    is DynamoDB being busy, not the client's fault: 503/105, never a 409 or a 500, and no write."""
    before = scan()
    faults.arm("TransactWriteItems", fault)
    reply = invoke(case.function, case.event(world))
    faults.disarm()
    assert faults.calls("TransactWriteItems")[-1] >= 1
    assert (reply.status, reply.body) == (503, UNAVAILABLE)
    assert scan() == before


def test_a_transaction_conflict_that_clears_at_once_does_not_fail_the_create(
    faults: FaultInjector, world: World
) -> None:
    """DynamoDB cancels a transaction with ``TransactionConflict`` when another transaction touches one
    of its items at the same moment — every create of a tenant touches the tenant counter, so two
    concurrent creates in one tenant meet this on real DynamoDB. AWS documents it as retryable; one
    conflict should cost the client a retry inside the handler, not a 503."""
    faults.arm("TransactWriteItems", TRANSACTION_CONFLICT, times=1)
    reply = create("contended")
    faults.disarm()
    assert (reply.status, reply.body["code"]) == (200, 0), reply.body
    assert assert_consistent(scan())[TENANT_A] == 3


def test_retries_of_a_transaction_carry_one_client_request_token(faults: FaultInjector, world: World) -> None:
    """A timeout may hit *after* DynamoDB applied a transaction. The SDK's retries resend the same
    ``ClientRequestToken``, so DynamoDB treats them as the same request and applies it once (moto does
    not model this, so the token itself is what we can check)."""
    faults.attempts.clear()
    faults.arm("TransactWriteItems", READ_TIMEOUT, times=faults.max_attempts - 1)
    assert create("idempotent").status == 200
    tokens = [
        json.loads(a.body).get("ClientRequestToken") for a in faults.attempts if a.operation == "TransactWriteItems"
    ]
    assert len(tokens) == faults.max_attempts
    assert tokens[0]
    assert set(tokens) == {tokens[0]}


def test_a_non_transient_dynamodb_error_is_a_500_with_the_request_id_and_no_internals(
    faults: FaultInjector, world: World
) -> None:
    """An error that retrying cannot fix (here ``ValidationException``) is "anything unexpected": 500/100
    with the request id, and neither the exception, its code nor a stack trace reach the client."""
    before = scan()
    faults.attempts.clear()
    faults.arm("TransactWriteItems", Fault("validation", 400, "ValidationException"))
    reply = create("unexpected")
    faults.disarm()
    assert faults.calls("TransactWriteItems") == [1]
    assert reply.status == 500
    assert reply.body == {
        "code": 100,
        "message": "Internal server error (request id c6af9ac6-7b61-11e6-9a41-93e8deadbeef)",
        "data": None,
    }
    assert scan() == before


def test_a_fault_never_leaks_internals_into_the_answer(faults: FaultInjector, world: World) -> None:
    """The 503 body names neither botocore, DynamoDB's error code, the endpoint nor a Python traceback."""
    faults.arm("TransactWriteItems", CONNECTION)
    reply = create("leaky")
    assert reply.status == 503
    for secret in ("Traceback", "botocore", "EndpointConnectionError", "ThrottlingException", "http", "TENANT#"):
        assert secret not in reply.raw


def test_a_fault_in_one_tenants_request_leaves_the_other_tenant_untouched(faults: FaultInjector, world: World) -> None:
    """Tenant A's delete_all meets a persistent fault; tenant B's dataset, lock and counter are as they were."""
    faults.arm("TransactWriteItems", UNAVAILABLE_503)
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"delete_all": True}))
    faults.disarm()
    assert reply.status == 503
    assert assert_consistent(scan()) == {TENANT_A: 2, TENANT_B: 1}
    got = invoke("get_dataset", route_event("get_dataset_restful", tenant=TENANT_B, dataset_id=world.other))
    assert (got.status, got.body["data"]["name"]) == (200, "x")


def test_a_batch_read_whose_keys_stay_unprocessed_answers_503(faults: FaultInjector, world: World) -> None:
    """Under load BatchGetItem answers 200 but hands keys back as ``UnprocessedKeys``; if it keeps doing
    so, the bulk delete must not treat those datasets as absent (404) nor delete a part: 503."""

    def nothing_processed(request: AWSPreparedRequest) -> AWSResponse:
        keys = json.loads(request.body if isinstance(request.body, (bytes, str)) else b"{}")["RequestItems"]
        body = {"Responses": {name: [] for name in keys}, "UnprocessedKeys": keys}
        return AWSResponse(
            request.url,
            200,
            HTTPHeaders.from_dict({"Content-Type": "application/x-amz-json-1.0"}),
            _RawBody(json.dumps(body).encode()),
        )

    before = scan()
    faults.arm("BatchGetItem", CustomFault("unprocessed", answer_with=nothing_processed))
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"ids": [world.alpha, world.beta]}))
    faults.disarm()
    assert (reply.status, reply.body) == (503, UNAVAILABLE)
    assert scan() == before


def test_a_bulk_delete_that_fails_midway_does_not_claim_nothing_changed(faults: FaultInjector, world: World) -> None:
    """``stored.delete_datasets`` deletes 49 datasets per transaction. Fail the second transaction of a
    60-dataset delete: each chunk is consistent, but then either nothing may have been deleted, or the
    answer must not tell the client that nothing was changed (it would believe all 60 still exist)."""
    seed_datasets(storage.client(), TENANT_A, 58)
    ids = [i["id"]["S"] for i in scan() if i["sk"]["S"].startswith("DATASET#") and i["pk"]["S"] == f"TENANT#{TENANT_A}"]
    assert len(ids) == 60
    seen = {"count": 0}

    def second_fails(request: AWSPreparedRequest) -> AWSResponse:
        seen["count"] += 1
        if seen["count"] == 1:
            response: AWSResponse | None = botocore_stubber(
                event_name="before-send.dynamodb.TransactWriteItems", request=request
            )
            assert response is not None
            return response
        return UNAVAILABLE_503.answer(request)

    faults.arm("TransactWriteItems", CustomFault("second-chunk", answer_with=second_fails))
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"ids": ids}))
    faults.disarm()
    remaining = assert_consistent(scan()).get(TENANT_A, 0)
    assert reply.status == 503
    assert remaining == 60 or "nothing was changed" not in reply.body["message"], (remaining, reply.body)


# ---- the authorizer ----------------------------------------------------------------------------------------


def _authorize(event: dict[str, Any]) -> Any:
    return function("authorizer").lambda_handler(event, LambdaContext(function_name="authorizer"))


@pytest.fixture
def dev_key(faults: FaultInjector) -> api_keys.ApiKey:
    _, record = api_keys.create_key(TENANT_A, "dev", key=DEV_KEY)
    faults.attempts.clear()  # minting reads the tenant's usage tier: only the authorizer's calls count here
    return record


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS, ids=_fault_id)
def test_the_authorizer_fails_closed_when_the_key_cannot_be_read(
    fault: Fault, faults: FaultInjector, dev_key: api_keys.ApiKey
) -> None:
    """A valid key, but DynamoDB keeps failing: after ``max_attempts`` the authorizer raises (API Gateway
    answers AUTHORIZER_FAILURE) — it never returns an Allow policy it could not check, and it does not
    pretend the key is bad either (that would be a 401 the client might act on)."""
    faults.arm("GetItem", fault)
    with pytest.raises(StorageUnavailable):
        _authorize(load_event("authorizer_bearer"))
    assert faults.calls("GetItem") == [faults.max_attempts]


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS, ids=_fault_id)
def test_the_authorizer_allows_a_valid_key_once_a_transient_fault_clears(
    fault: Fault, faults: FaultInjector, dev_key: api_keys.ApiKey
) -> None:
    """Two failed attempts, then DynamoDB answers: the SDK's retries make the fault invisible."""
    faults.arm("GetItem", fault, times=2)
    result = _authorize(load_event("authorizer_bearer"))
    assert result["principalId"] == TENANT_A
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert faults.calls("GetItem") == [3]


def test_the_authorizer_never_allows_an_unknown_key_whatever_the_fault(
    faults: FaultInjector, dev_key: api_keys.ApiKey
) -> None:
    """An unknown key under faults: either an error or the plain Unauthorized, never an Allow."""
    for fault in TRANSIENT_FAULTS:
        faults.arm("GetItem", fault, times=faults.max_attempts - 1)
        with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway needs exactly this bare Exception
            _authorize(load_event("authorizer_unknown"))
        assert str(raised.value) == "Unauthorized"
        faults.arm("GetItem", fault)
        with pytest.raises(StorageUnavailable):
            _authorize(load_event("authorizer_unknown"))
        faults.disarm()


def test_the_storage_client_uses_the_standard_retry_mode(faults: FaultInjector) -> None:
    """The retry counts above rest on this configuration (standard retry mode), and the SDK
    really makes that many attempts, numbered 1, 2, ... in its ``amz-sdk-request`` header."""
    config: Any = storage.client().meta.config
    assert config.retries["mode"] == "standard"
    assert faults.max_attempts >= 2
    faults.arm("GetItem", THROTTLING)
    with pytest.raises(StorageUnavailable):
        stored.get_dataset(TENANT_A, "0" * 32)
    assert [(a.operation, a.number) for a in faults.attempts] == [
        ("GetItem", n) for n in range(1, faults.max_attempts + 1)
    ]


# ---- time budget: the 503 must come before the Lambda is killed ---------------------------------------------


def _function_timeouts() -> dict[str, int]:
    default = int(template.load()["Globals"]["Function"]["Timeout"])
    return {
        name: int(resource["Properties"].get("Timeout", default))
        for name, resource in template.resources("AWS::Serverless::Function").items()
    }


def test_persistent_read_timeouts_exhaust_the_retries_before_the_function_times_out(table: Any) -> None:
    """A timeout is retried like any transient fault; if all attempts cannot fit in the function's
    timeout, Lambda kills the handler mid-retry and the client never gets the enveloped 503. Worst case of one
    call: each attempt waits out the connect and the read timeout, with DynamoDB's non-throttling backoff
    (at most 25 ms x 2**i) between them."""
    config: Any = storage.client().meta.config
    attempts = configured_attempts(storage.client())
    backoff = sum(min(0.025 * 2**i, 20) for i in range(attempts - 1))
    worst_case = attempts * (config.connect_timeout + config.read_timeout) + backoff
    assert worst_case < min(_function_timeouts().values()), (worst_case, _function_timeouts())


_REAL_DELAY = ExponentialBackoff.delay_amount
_REAL_BACKOFF_INIT = ExponentialBackoff.__init__


def _worst_case_backoff(self: ExponentialBackoff, *args: Any, **kwargs: Any) -> None:
    _REAL_BACKOFF_INIT(self, *args, **kwargs)
    backoff: Any = self
    backoff._random = lambda: 1.0  # botocore's jitter factor at its maximum


def test_persistent_throttling_exhausts_the_retries_before_the_function_times_out(
    faults: FaultInjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measure botocore's own worst-case backoff (its random factor pinned to 1) over one call that is
    throttled on every attempt, and compare it with the shortest function timeout."""
    slept: list[float] = []
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", _REAL_DELAY)  # the fixture had made it 0
    monkeypatch.setattr(ExponentialBackoff, "__init__", _worst_case_backoff)
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    storage.reset_client()  # a client whose retry handler is built with the patched backoff
    faults.install(storage.client())
    faults.arm("GetItem", THROTTLING)
    with pytest.raises(StorageUnavailable):
        stored.get_dataset(TENANT_A, "0" * 32)
    assert len(slept) == faults.max_attempts - 1
    assert sum(slept) < min(_function_timeouts().values()), slept
