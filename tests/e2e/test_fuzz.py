"""Fuzzing: schemathesis against the local API, driven by the committed ``openapi.json``.

A local API runs as a subprocess (``tests.local_server``: 127.0.0.1, a free port, a temporary state folder,
stopped afterwards). Schemathesis reads the document and, for each of its ten operations, sends what its
phases generate, with the local API's dev key:

* **examples**: the document's ``example``/``examples`` of parameters and bodies. It has none (its examples
  are of error responses), so this phase sends nothing today; it is on so that the first example added to
  the document is sent at once;
* **coverage**: deterministic cases from each schema: boundaries, every enum value, missing required
  fields, wrong types, unexpected properties, a request without the key, bodies of media types the
  operation does not take, and the methods a path does not declare (GET, PUT, POST, DELETE, OPTIONS and
  PATCH; TRACE and QUERY get a test of their own below);
* **fuzzing**: Hypothesis-generated requests, schema-valid and schema-invalid. A dataset id is drawn either
  by the generator (mostly "not a UUID" or "no such dataset") or from a small pool of datasets that exist:
  the dev tenant's own, so that get, update and delete reach their success paths and update rules run on
  real datasets, and another tenant's, which must stay invisible (404) and untouched;
* **stateful**: call sequences along links. The document declares no ``links``; schemathesis infers them
  from its shapes (a list's ``data[].id`` feeds the ``{dataset_id}`` of get, update and delete and the ids
  of the bulk delete), and this phase runs on those inferred links.

Every response must pass:

* ``not_a_server_error``: no 5xx. The 500 and 503 the document lists are for failures a fuzzer cannot
  cause against a healthy embedded DynamoDB;
* ``envelope`` (below): whatever the status and method, 401/404/413/415 included, a JSON body
  (``Content-Type: application/json``) that is an object with an int ``code``, a str ``message`` and a
  ``data`` key;
* ``response_schema_conformance``: the body fits the document's schema for that status;
* ``content_type_conformance``: the media type is one the document declares for that status;
* ``status_code_conformance``: the status is one the document lists for the operation. Each operation
  lists only the statuses it can answer (no 409/413/415 on a GET, no 404 on the seed list), so this catches
  e.g. a Powertools 422 or a 405. Answers to undeclared methods (404 from the gateway) are outside it; the
  envelope check covers them.

Left out on purpose:

* ``positive_data_acceptance``: the document is looser than the handlers (``dataset_id`` is a bare string
  where the handlers want 32 hex digits; a seed name has a character set; an embedding model is
  ``name@provider``; an update must change something), and those schema-valid requests get the documented
  400, which this check calls a failure;
* ``unsupported_method``: it wants 405 for an undeclared method; this API answers 404 ("unknown route or
  method", README), as its API Gateway does.

Then, a few cases per operation **without a key** and **with a bad key** (the random ``Bearer ...``
schemathesis draws for ``bearerAuth`` when it is given no credentials, else ``Bearer ragflow-<random>``):
every one must be the enveloped 401 of the authorizer.

Two small tests send what the fuzzer does not: bodies over the 1 MiB limit (413), and the methods TRACE and
QUERY, which the coverage phase would send with the others but which get a test of their own so that a
failure there cannot stop the fuzzing of the operations whose coverage cases include them.

The budget: 30 to 50 s for the whole file on two cores; the cases of each phase and the statuses they got
are printed at the end.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CheckFunction

from local_server import AUTH_MESSAGE, DEV_KEY, ROOT, LocalApi, running
from tools import apikeys, local_state

Case = schemathesis.Case[Any]
DOCUMENT = ROOT / "openapi.json"
UNAUTHORIZED = {"code": 401, "message": AUTH_MESSAGE, "data": None}

FUZZ_EXAMPLES = 200  # per operation, fuzzing phase; examples and coverage send what the schema implies
STATEFUL_SCENARIOS = 100
STATEFUL_STEPS = 8
STATEFUL_RUNS = 5  # Hypothesis may stop a stateful run early (see the test): at most this many runs
AUTH_EXAMPLES = 25  # per operation, without a key and with a bad key
OWN_POOL = 6  # datasets of the dev tenant whose ids the fuzzer may draw
MAX_BODY_BYTES = 1024 * 1024  # the handlers' default limit
UNDECLARED_METHODS = ["get", "put", "post", "delete", "options", "patch"]


def _config(*, keyed: bool) -> schemathesis.Config:
    """The keyed run: every phase, the dev key on every request. The keyless runs: fuzzing only, a few cases."""
    data: dict[str, Any] = {
        "generation": {"max-examples": FUZZ_EXAMPLES if keyed else AUTH_EXAMPLES},
        "phases": {
            "examples": {"enabled": keyed},
            "coverage": {"enabled": keyed, "unexpected-methods": UNDECLARED_METHODS},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": keyed, "max-steps": STATEFUL_STEPS},
        },
    }
    if keyed:
        data["headers"] = {"Authorization": f"Bearer {DEV_KEY}"}
    return schemathesis.Config.from_dict(data)


KEYED = schemathesis.openapi.from_path(DOCUMENT, config=_config(keyed=True))
KEYLESS = schemathesis.openapi.from_path(DOCUMENT, config=_config(keyed=False))


@schemathesis.check
def envelope(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    """Every body, whatever the status: JSON, ``{"code": int, "message": str, "data": any}``. But for a CORS
    preflight's: API Gateway answers OPTIONS itself, with SAM's mock integration and its body ``{}``."""
    where = f"{response.status_code} to {response.request.method} {response.request.url}"
    if response.request.method == "OPTIONS" and response.status_code == 200:
        assert "access-control-allow-methods" in {k.lower() for k in response.headers}, f"{where}: not a preflight"
        return None
    media_type = next(iter(response.headers.get("content-type", [])), "")
    assert media_type.split(";")[0].strip().lower() == "application/json", (
        f"{where}: Content-Type {media_type!r}, not application/json: {response.content[:300]!r}"
    )
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{where}: the body is not JSON: {response.content[:300]!r}") from None
    assert isinstance(body, dict), f"{where}: the body is not an object: {body!r}"
    assert type(body.get("code")) is int, f"{where}: no int code: {body!r}"
    assert isinstance(body.get("message"), str), f"{where}: no str message: {body!r}"
    assert "data" in body, f"{where}: no data key: {body!r}"
    return None


CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    envelope,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.status_code_conformance,
]

# ---- the id pool: datasets that exist, drawn as often as generated ids -------------------------------------

OWN_IDS: list[str] = []  # always OWN_POOL ids of live datasets of the dev tenant (refilled before each test)
FOREIGN: dict[str, dict[str, Any]] = {}  # another tenant's datasets, as created: id -> dataset


def _pool_ids() -> list[str]:
    return [*OWN_IDS, *FOREIGN] or ["0" * 32]  # empty only if a test forgot the ``pool`` fixture


@KEYED.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters or "dataset_id" not in path_parameters:
        return st.just(path_parameters)
    pool = st.deferred(lambda: st.sampled_from(_pool_ids()))  # filled by the fixtures, before the first draw
    return st.one_of(st.just(path_parameters), pool.map(lambda id_: {**path_parameters, "dataset_id": id_}))


# ---- the local API -----------------------------------------------------------------------------------------

RUNS = ("with key", "without key", "bad key")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SENT: Counter[tuple[str, str]] = Counter()  # cases sent, by run and phase
STATUSES: Counter[tuple[str, int]] = Counter()  # statuses answered, by run


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("fuzz") / "state", "--quiet") as server:
        assert server.key == DEV_KEY, "the local API no longer registers the dev key"
        yield server
    _print_summary(request.config)


def _print_summary(config: pytest.Config) -> None:
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None or not SENT:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"\nschemathesis {schemathesis.__version__}: {sum(SENT.values())} cases")
        for run in RUNS:
            phases = ", ".join(f"{phase} {SENT[run, phase]}" for phase in PHASES)
            statuses = ", ".join(f"{status}: {n}" for (of, status), n in sorted(STATUSES.items()) if of == run)
            reporter.write_line(f"  {run}: {phases}; statuses {statuses}")


@pytest.fixture(scope="module")
def session(api: LocalApi) -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture(scope="module")
def foreign(api: LocalApi) -> Iterator[str]:
    """Another tenant with two datasets the fuzzer may name; after the run they must be as they were."""
    tenant = uuid.uuid4().hex
    key = apikeys.run_local(
        local_state.StateDir(api.state_dir), {"action": "create", "tenant": tenant, "label": "fuzz"}
    )
    for name in ("foreign-a", "foreign-b"):
        made = api.bearer("POST", "/api/v1/datasets", key["key"], json_body={"name": name})
        assert made.status == 200, made.raw
        FOREIGN[made.body["data"]["id"]] = made.body["data"]
    yield key["key"]
    for dataset_id, before in FOREIGN.items():
        after = api.bearer("GET", f"/api/v1/datasets/{dataset_id}", key["key"])
        assert after.status == 200, after.raw
        fetched = {k: v for k, v in after.body["data"].items() if k not in {"size", "connectors"}}  # get adds these
        assert fetched == before, f"another tenant's dataset changed: {after.raw!r}"


@pytest.fixture
def pool(api: LocalApi, foreign: str) -> None:
    """Refill the dev tenant's pool: the last operation may have deleted some (or all: ``delete_all``)."""
    alive = [i for i in OWN_IDS if api.bearer("GET", f"/api/v1/datasets/{i}").status == 200]
    while len(alive) < OWN_POOL:
        made = api.bearer("POST", "/api/v1/datasets", json_body={"name": f"pool-{uuid.uuid4().hex[:12]}"})
        assert made.status == 200, made.raw
        alive.append(made.body["data"]["id"])
    OWN_IDS[:] = alive


def _phase(case: Case) -> str:
    return case.meta.phase.name.value if case.meta is not None else "unknown"


# ---- with the dev key --------------------------------------------------------------------------------------


@KEYED.parametrize()
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])  # once per operation
def test_fuzz_with_the_dev_key(case: Case, api: LocalApi, session: requests.Session, pool: None) -> None:
    SENT["with key", _phase(case)] += 1
    response = case.call(base_url=api.base, session=session)
    STATUSES["with key", response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
    if (case.path_parameters or {}).get("dataset_id") in FOREIGN:
        assert response.status_code in {400, 404, 413, 415}, (
            f"{case.method} {response.request.url} named another tenant's dataset and got "
            f"{response.status_code} {response.content[:300]!r}"
        )


def test_stateful_with_the_dev_key(api: LocalApi, pool: None) -> None:
    """Scenarios along the inferred links, each step checked like any case.

    The next step's choices depend on what the server answered (a list feeds the ids of the next call), so
    Hypothesis may find that a choice it made before now leads elsewhere and stop the run with ``Flaky``
    (``FlakyStrategyDefinition``), or fail to replay a failure for the same reason. Schemathesis's own
    runner treats that the same way: a check failure seen on the way is reported; otherwise the run goes
    on with the scenarios left, at most ``STATEFUL_RUNS`` times.
    """
    base = api.base
    failures: list[Exception] = []
    scenarios = 0

    class Workflow(KEYED.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            nonlocal scenarios
            scenarios += 1

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            SENT["with key", _phase(case)] += 1
            return {"base_url": base}

        def validate_response(self, response: schemathesis.Response, case: Case, **kwargs: Any) -> None:
            STATUSES["with key", response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except Exception as failure:
                failures.append(failure)
                raise

    for _ in range(STATEFUL_RUNS):
        settings = hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS - scenarios,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate],  # no replay of a database, no shrinking: the server moves on
        )
        try:
            Workflow.run(settings=settings)
        except hypothesis.errors.Flaky:
            if failures:
                raise failures[0] from None
            if scenarios < STATEFUL_SCENARIOS:
                continue
        break
    assert not failures, failures[0]
    assert scenarios >= STATEFUL_SCENARIOS // 2, f"only {scenarios} stateful scenarios ran"


@pytest.mark.parametrize("method", ["TRACE", "QUERY"])
def test_methods_a_path_does_not_declare_are_enveloped_404s(api: LocalApi, method: str) -> None:
    """What the coverage phase sends as its "unexpected methods", for the two it leaves to this test.

    Every path answers a method it does not declare with the gateway's 404 envelope, as it does for PATCH
    or OPTIONS. Python's ``http.server`` answers a method its handler has no ``do_<METHOD>`` for with its own
    501 and an HTML page, before the gateway sees the request: the local API must hand every method on.
    """
    for path in json.loads(DOCUMENT.read_text())["paths"]:
        url = path.replace("{dataset_id}", "0190f5a2c3d44e7f8a9b0c1d2e3f4a5b")
        reply = api.bearer(method, url)
        assert reply.status == 404, (
            f"{method} {url}: {reply.status} {reply.headers.get('content-type')} {reply.raw[:200]!r}"
        )
        assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
        assert reply.body == {"code": 404, "message": f"Not Found: {url}", "data": None}


BODY_OPERATIONS = sorted(
    (method.upper(), path)
    for path, operations in KEYED.raw_schema["paths"].items()
    for method, operation in operations.items()
    if "requestBody" in operation
)


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_bodies_over_the_limit_are_enveloped_413s(
    api: LocalApi, session: requests.Session, pool: None, method: str, path: str
) -> None:
    """The fuzzer never draws a body of 1 MiB; the 413 it documents gets the same checks here."""
    case = KEYED[path][method].Case(
        path_parameters={"dataset_id": OWN_IDS[0]} if "{dataset_id}" in path else None,
        body={"name": "x" * MAX_BODY_BYTES},
    )
    response = case.call(base_url=api.base, session=session, headers={"Authorization": f"Bearer {DEV_KEY}"})
    STATUSES["with key", response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
    assert (response.status_code, response.json()["code"]) == (413, 101), response.content[:300]


# ---- without a key, with a bad key -------------------------------------------------------------------------


def _assert_unauthorized(case: Case, response: schemathesis.Response, run: str) -> None:
    STATUSES[run, response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED), (
        f"{case.method} {response.request.url} {run} answered {response.status_code} {response.content[:300]!r}"
    )


@KEYLESS.parametrize()
def test_fuzz_without_a_key(case: Case, api: LocalApi, session: requests.Session) -> None:
    SENT["without key", _phase(case)] += 1
    case.headers.pop("Authorization", None)
    _assert_unauthorized(case, case.call(base_url=api.base, session=session), "without key")


@KEYLESS.parametrize()
def test_fuzz_with_a_bad_key(case: Case, api: LocalApi, session: requests.Session) -> None:
    SENT["bad key", _phase(case)] += 1
    case.headers.setdefault("Authorization", f"Bearer ragflow-{uuid.uuid4().hex}")
    _assert_unauthorized(case, case.call(base_url=api.base, session=session), "bad key")
