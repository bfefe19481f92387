"""A model-based test: random sequences of requests of both API generations against a plain model.

Hypothesis drives creates (legacy and RESTful, with names drawn to collide case-insensitively often),
renames (legacy and RESTful PUT), deletes (legacy single, RESTful bulk by ids, delete_all) and listings (both
generations, both orders, offsets, pages and page tokens), for two tenants, through the real handlers. Callers
hold read-write or read-only keys: a read-only caller's reads answer as anyone's, and each of its writes, of
either generation, is refused with 403 in the envelope and changes nothing. A dictionary per tenant says what each answer must be. After every step the raw table must agree with
the model, and must hold together on its own: the counter equals the number of datasets, every dataset
has exactly its one name lock and every lock its dataset, names are unique case-insensitively — and no
answer to one tenant ever carries an id of the other's.

Each example gets its own moto table (started in ``__init__``, stopped in ``teardown``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from moto import mock_aws

from conftest import TENANT_A, TENANT_B, Reply, invoke, route_event
from dataset_core import errors, scopes
from dataset_core.storage import client as storage
from dataset_core.storage import datasets as stored
from dataset_core.storage.datasets import name_lock_key
from tools import template
from tools.embedded_dynamodb import serialize_requests

ABSENT = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"
TENANTS = [TENANT_A, TENANT_B]
OTHER = {TENANT_A: TENANT_B, TENANT_B: TENANT_A}


def _case_variants(base: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted({base, base.upper(), base.lower(), base.swapcase(), base.capitalize()}))


LEGACY_NAMES = st.sampled_from(["kb", "Data", "x.y", "a-b_c", "q"]).flatmap(_case_variants)
"""Few bases, many case variants: most creates and renames meet a name that is already taken."""
RESTFUL_NAMES = st.one_of(LEGACY_NAMES, st.sampled_from(["kb(1)", "KB(2)", "data(1)", "x.y(1)"]))
"""Also names shaped like RAGFlow's auto-renames, so ``kb(1)`` may exist before ``kb`` is taken again."""
ORDERS = st.sampled_from(["create_time", "update_time"])
WRITES = st.sampled_from(
    ["create_legacy", "create_restful", "rename_legacy", "rename_restful", "delete_legacy", "delete_ids", "delete_all"]
)
READ_ONLY_REFUSAL = {"code": 403, "message": errors.READ_ONLY_MESSAGE, "data": None}


def as_caller(event: dict[str, Any], read_only: bool) -> dict[str, Any]:
    """The event as the authorizer leaves it for a read-only key (scope in the context), or unchanged."""
    if read_only:
        event["requestContext"]["authorizer"]["scope"] = scopes.READ_ONLY
    return event


def ragflow_duplicate_name(name: str, taken: set[str]) -> str:
    """RAGFlow's ``api.db.services.duplicate_name`` for datasets, on a case-insensitive name query:
    while the name is taken, count up a ``(n)`` at the end of its stem, keeping its suffix
    (``x.y`` -> ``x(1).y``, ``kb(1)`` -> ``kb(2)``, and the first free number wins)."""
    current = name
    while current.lower() in taken:
        path = PurePath(current)
        match = re.fullmatch(r"(.*?)\((\d+)\)", path.stem)
        main, counter = (match.group(1).rstrip(), int(match.group(2))) if match else (path.stem, 0)
        current = f"{main}({counter + 1}){path.suffix}"
    return current


@dataclass
class Row:
    id: str
    name: str
    update_time: int


class DatasetMachine(RuleBasedStateMachine):
    """The handlers of both generations on one table, against ``self.model``: tenant -> id -> Row."""

    def __init__(self) -> None:
        super().__init__()
        serialize_requests()
        self.mock = mock_aws()
        self.mock.start()
        storage.reset_client()
        storage.client().create_table(**template.table_definition(os.environ["TABLE_NAME"]))
        self.model: dict[str, dict[str, Row]] = {tenant: {} for tenant in TENANTS}

    def teardown(self) -> None:
        self.mock.stop()
        storage.reset_client()

    # ---- the model ------------------------------------------------------------------------------------

    def holder(self, tenant: str, name: str) -> str | None:
        """The id holding ``name`` (case-insensitively) in ``tenant``, if any."""
        return next((r.id for r in self.model[tenant].values() if r.name.lower() == name.lower()), None)

    def taken(self, tenant: str) -> set[str]:
        return {r.name.lower() for r in self.model[tenant].values()}

    def ordered(self, tenant: str, orderby: str, desc: bool) -> list[str]:
        """Ids in listing order: creation order is id order (time-ordered ids); ``update_time`` order is
        (update_time, id), as the index's sort key ``<update_time>#<id>`` has it."""
        rows = list(self.model[tenant].values())
        if orderby == "create_time":
            rows.sort(key=lambda r: r.id, reverse=desc)
        else:
            rows.sort(key=lambda r: (r.update_time, r.id), reverse=desc)
        return [r.id for r in rows]

    def target(self, tenant: str, pick: int) -> str:
        """An id to aim at: one of the tenant's, one of the other tenant's, or one that never existed."""
        candidates = [*sorted(self.model[tenant]), *sorted(self.model[OTHER[tenant]]), ABSENT]
        return candidates[pick % len(candidates)]

    def send(self, tenant: str, function: str, event: dict[str, Any], *sent_ids: str) -> Reply:
        """Invoke a handler as ``tenant``; the answer may name no id of the other tenant but those sent."""
        reply = invoke(function, event)
        assert reply.status < 500, reply.raw
        assert set(reply.body) >= {"code", "message", "data"}
        for foreign in self.model[OTHER[tenant]]:
            assert foreign in sent_ids or foreign not in reply.raw, (tenant, reply.raw)
        assert OTHER[tenant] not in reply.raw
        return reply

    def remember(self, tenant: str, dataset_id: str, name: str) -> None:
        found = stored.get_dataset(tenant, dataset_id)
        assert found is not None
        assert found.name == name
        self.model[tenant][dataset_id] = Row(dataset_id, name, found.update_time)

    # ---- creates ----------------------------------------------------------------------------------------

    @rule(tenant=st.sampled_from(TENANTS), name=LEGACY_NAMES)
    def create_legacy(self, tenant: str, name: str) -> None:
        """Legacy API: a taken name (any case) is 409/102; otherwise the dataset is created under it."""
        reply = self.send(
            tenant, "create_dataset", route_event("create_dataset_legacy", tenant=tenant, body={"dataset_name": name})
        )
        if self.holder(tenant, name) is not None:
            assert (reply.status, reply.body["code"]) == (409, 102)
            assert reply.body["message"] == f"Dataset name '{name}' already exists"
            return
        assert (reply.status, reply.body["data"]["dataset_name"]) == (200, name)
        self.remember(tenant, reply.body["data"]["id"], name)

    @rule(tenant=st.sampled_from(TENANTS), name=RESTFUL_NAMES)
    def create_restful(self, tenant: str, name: str) -> None:
        """RESTful API: a taken name is auto-renamed to a free one. Two rules are accepted here: ours today
        (``name(n)``, n one more than the highest taken) and RAGFlow's ``duplicate_name`` (see
        ``test_auto_rename_follows_ragflows_duplicate_name``); either way the new name was free."""
        expected = {name}
        if self.holder(tenant, name) is not None:
            pattern = re.compile(re.escape(name.lower()) + r"\((\d+)\)")
            taken = [int(m.group(1)) for r in self.model[tenant].values() if (m := pattern.fullmatch(r.name.lower()))]
            expected = {f"{name}({max(taken, default=0) + 1})", ragflow_duplicate_name(name, self.taken(tenant))}
        reply = self.send(
            tenant, "create_dataset", route_event("create_dataset_restful", tenant=tenant, body={"name": name})
        )
        assert reply.status == 200, reply.raw
        assert reply.body["data"]["name"] in expected, (reply.body["data"]["name"], expected)
        assert self.holder(tenant, reply.body["data"]["name"]) is None
        self.remember(tenant, reply.body["data"]["id"], reply.body["data"]["name"])

    @rule(
        tenant=st.sampled_from(TENANTS), names=st.lists(st.tuples(st.booleans(), RESTFUL_NAMES), min_size=2, max_size=6)
    )
    def create_several(self, tenant: str, names: list[tuple[bool, str]]) -> None:
        """A burst of creates of both generations, so that listings have pages to turn."""
        for legacy, name in names:
            if legacy and re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
                self.create_legacy(tenant, name)
            else:
                self.create_restful(tenant, name)

    # ---- renames ------------------------------------------------------------------------------------------

    def _rename(self, tenant: str, pick: int, name: str, *, legacy: bool) -> None:
        dataset_id = self.target(tenant, pick)
        event_name = "update_dataset_legacy" if legacy else "update_dataset_restful"
        event = route_event(event_name, tenant=tenant, body={"name": name}, dataset_id=dataset_id)
        reply = self.send(tenant, "update_dataset", event, dataset_id)
        if dataset_id not in self.model[tenant]:
            assert (reply.status, reply.body["code"]) == (404, 103 if legacy else 102)
            return
        if self.holder(tenant, name) not in {None, dataset_id}:
            assert (reply.status, reply.body["code"]) == (409, 102)
            return
        assert (reply.status, reply.body["data"]["name"]) == (200, name), reply.raw
        self.model[tenant][dataset_id] = Row(dataset_id, name, reply.body["data"]["update_time"])

    @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(0, 50), name=LEGACY_NAMES)
    def rename_legacy(self, tenant: str, pick: int, name: str) -> None:
        self._rename(tenant, pick, name, legacy=True)

    @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(0, 50), name=RESTFUL_NAMES)
    def rename_restful(self, tenant: str, pick: int, name: str) -> None:
        self._rename(tenant, pick, name, legacy=False)

    # ---- deletes ------------------------------------------------------------------------------------------

    @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(0, 50))
    def delete_legacy(self, tenant: str, pick: int) -> None:
        dataset_id = self.target(tenant, pick)
        reply = self.send(
            tenant,
            "delete_dataset",
            route_event("delete_dataset_legacy", tenant=tenant, dataset_id=dataset_id),
            dataset_id,
        )
        if dataset_id not in self.model[tenant]:
            assert (reply.status, reply.body["code"], reply.body["success"]) == (404, 103, False)
            return
        assert (reply.status, reply.body["message"], reply.body["success"]) == (
            200,
            "Dataset deleted successfully!",
            True,
        )
        del self.model[tenant][dataset_id]

    @rule(tenant=st.sampled_from(TENANTS), picks=st.lists(st.integers(0, 50), max_size=4))
    def delete_restful_ids(self, tenant: str, picks: list[int]) -> None:
        """All or nothing: one id that is not the caller's (absent, or the other tenant's) deletes nothing."""
        ids = [self.target(tenant, p) for p in picks]
        event = route_event("delete_dataset_restful", tenant=tenant, body={"ids": ids})
        reply = self.send(tenant, "delete_dataset", event, *ids)
        if len(set(ids)) != len(ids):
            assert (reply.status, reply.body["code"]) == (400, 101)
        elif any(i not in self.model[tenant] for i in ids):
            assert (reply.status, reply.body["code"]) == (404, 102)
        else:
            assert (reply.status, reply.body["data"]) == (200, {"success_count": len(ids)})
            for i in ids:
                del self.model[tenant][i]

    @rule(tenant=st.sampled_from(TENANTS))
    def delete_all(self, tenant: str) -> None:
        event = route_event("delete_dataset_restful", tenant=tenant, body={"delete_all": True})
        reply = self.send(tenant, "delete_dataset", event)
        assert (reply.status, reply.body["data"]) == (200, {"success_count": len(self.model[tenant])})
        self.model[tenant].clear()

    @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(0, 50), name=LEGACY_NAMES, write=WRITES)
    def read_only_write(self, tenant: str, pick: int, name: str, write: str) -> None:
        """A read-only caller may write nothing: 403 with the read-only message, and the table as the model has
        it (the invariant after each step: the same datasets, names, locks and counters, and no other item)."""
        dataset_id = self.target(tenant, pick)
        function, event = {
            "create_legacy": ("create_dataset", route_event("create_dataset_legacy", tenant=tenant, body={"dataset_name": name})),
            "create_restful": ("create_dataset", route_event("create_dataset_restful", tenant=tenant, body={"name": name})),
            "rename_legacy": ("update_dataset", route_event("update_dataset_legacy", tenant=tenant, body={"name": name}, dataset_id=dataset_id)),
            "rename_restful": ("update_dataset", route_event("update_dataset_restful", tenant=tenant, body={"name": name}, dataset_id=dataset_id)),
            "delete_legacy": ("delete_dataset", route_event("delete_dataset_legacy", tenant=tenant, dataset_id=dataset_id)),
            "delete_ids": ("delete_dataset", route_event("delete_dataset_restful", tenant=tenant, body={"ids": [dataset_id]})),
            "delete_all": ("delete_dataset", route_event("delete_dataset_restful", tenant=tenant, body={"delete_all": True})),
        }[write]  # fmt: skip
        reply = self.send(tenant, function, as_caller(event, read_only=True), dataset_id)
        assert (reply.status, reply.body) == (403, READ_ONLY_REFUSAL), reply.raw

    # ---- reads: the same answers for read-write and read-only callers ------------------------------------------

    @rule(
        tenant=st.sampled_from(TENANTS),
        orderby=ORDERS,
        desc=st.booleans(),
        offset=st.integers(0, 6),
        count=st.integers(-1, 5),
        read_only=st.booleans(),
    )
    def list_legacy(self, tenant: str, orderby: str, desc: bool, offset: int, count: int, *, read_only: bool) -> None:
        query = {"orderby": orderby, "desc": str(desc).lower(), "offset": str(offset), "count": str(count)}
        event = as_caller(route_event("list_datasets_legacy", tenant=tenant, query=query), read_only)
        reply = self.send(tenant, "list_datasets", event)
        expected = self.ordered(tenant, orderby, desc)[offset:][: 1000 if count == -1 else count]
        assert reply.status == 200
        assert [d["id"] for d in reply.body["data"]] == expected
        assert all(d["name"] == self.model[tenant][d["id"]].name for d in reply.body["data"])

    @rule(
        tenant=st.sampled_from(TENANTS),
        orderby=ORDERS,
        desc=st.booleans(),
        page=st.integers(1, 4),
        page_size=st.integers(1, 4),
        read_only=st.booleans(),
    )
    def list_restful(
        self, tenant: str, orderby: str, desc: bool, page: int, page_size: int, *, read_only: bool
    ) -> None:
        """One page by number, then the rest of the listing by following ``next_page_token``."""
        everything = self.ordered(tenant, orderby, desc)
        base = {"orderby": orderby, "desc": str(desc), "page_size": str(page_size)}
        reply = self.send(
            tenant,
            "list_datasets",
            as_caller(
                route_event("list_datasets_restful", tenant=tenant, query={**base, "page": str(page)}), read_only
            ),
        )
        start = (page - 1) * page_size
        assert reply.status == 200
        assert [d["id"] for d in reply.body["data"]] == everything[start : start + page_size]
        assert reply.body["total_datasets"] == len(everything)
        token = reply.body["next_page_token"]
        assert (token is not None) == (len(everything) > start + page_size)
        rest: list[str] = []
        while token is not None:
            event = route_event("list_datasets_restful", tenant=tenant, query={**base, "page_token": token})
            reply = self.send(tenant, "list_datasets", as_caller(event, read_only))
            assert reply.status == 200, reply.raw
            page_ids = [d["id"] for d in reply.body["data"]]
            assert 0 < len(page_ids) <= page_size
            rest += page_ids
            token = reply.body["next_page_token"]
        assert rest == everything[start + page_size :][: len(rest)]
        assert len(rest) == max(0, len(everything) - start - page_size)

    @rule(tenant=st.sampled_from(TENANTS), name=RESTFUL_NAMES)
    def find_by_name(self, tenant: str, name: str) -> None:
        """The name filter is case-insensitive and exact; a name only the other tenant has is absent."""
        event = route_event("list_datasets_restful", tenant=tenant, query={"name": name})
        reply = self.send(tenant, "list_datasets", event)
        holder = self.holder(tenant, name)
        if holder is None:
            assert (reply.status, reply.body["code"]) == (404, 102)
        else:
            assert [d["id"] for d in reply.body["data"]] == [holder]

    @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(0, 50), legacy=st.booleans(), read_only=st.booleans())
    def get_one(self, tenant: str, pick: int, legacy: bool, read_only: bool) -> None:
        dataset_id = self.target(tenant, pick)
        event = as_caller(
            route_event(
                "get_dataset_legacy" if legacy else "get_dataset_restful", tenant=tenant, dataset_id=dataset_id
            ),
            read_only,
        )
        reply = self.send(tenant, "get_dataset", event, dataset_id)
        if dataset_id in self.model[tenant]:
            assert (reply.status, reply.body["data"]["name"]) == (200, self.model[tenant][dataset_id].name)
        else:
            assert (reply.status, reply.body["code"]) == (404, 102)

    # ---- invariants -------------------------------------------------------------------------------------

    @invariant()
    def the_table_holds_together_and_matches_the_model(self) -> None:
        datasets: dict[str, dict[str, str]] = {tenant: {} for tenant in TENANTS}
        locks: dict[str, dict[str, str]] = {tenant: {} for tenant in TENANTS}
        counters: dict[str, int] = {}
        request: dict[str, Any] = {"TableName": os.environ["TABLE_NAME"], "ConsistentRead": True}
        while True:
            response = storage.client().scan(**request)
            for item in response["Items"]:
                tenant, sk = item["pk"]["S"].removeprefix("TENANT#"), item["sk"]["S"]
                assert tenant in TENANTS, item
                if sk.startswith("DATASET#"):
                    assert item["tenant_id"]["S"] == item["created_by"]["S"] == tenant
                    datasets[tenant][sk.removeprefix("DATASET#")] = item["name"]["S"]
                elif sk.startswith(("NAME#", "NAMEHASH#")):
                    locks[tenant][sk] = item["dataset_id"]["S"]
                else:
                    assert sk == "META", item
                    counters[tenant] = int(item["dataset_count"]["N"])
            if not response.get("LastEvaluatedKey"):
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        for tenant in TENANTS:
            names = list(datasets[tenant].values())
            assert counters.get(tenant, 0) == len(names)
            assert locks[tenant] == {name_lock_key(name): i for i, name in datasets[tenant].items()}
            assert len({n.lower() for n in names}) == len(names)
            assert datasets[tenant] == {i: r.name for i, r in self.model[tenant].items()}


DatasetMachine.TestCase.settings = settings(
    max_examples=40,  # x 30 steps: about 30 s here; every step is a handler call or a burst of them on moto
    stateful_step_count=30,
    deadline=None,  # a step's time depends on moto, not on our code
    suppress_health_check=[HealthCheck.too_slow],  # the same reason: generation waits for moto
)
TestDatasetsAgainstTheModel = DatasetMachine.TestCase


@pytest.mark.parametrize(
    ("existing", "name"),
    [(["x.y"], "x.y"), (["kb(1)"], "kb(1)"), (["kb", "kb(2)"], "kb")],
    ids=["suffix-kept", "counter-counted-up", "first-free-number"],
)
def test_auto_rename_follows_ragflows_duplicate_name(existing: list[str], name: str, table: Any) -> None:
    """Follow RAGFlow v0.27, whose create runs ``duplicate_name`` on a taken name."""
    for taken in existing:
        assert invoke("create_dataset", route_event("create_dataset_restful", body={"name": taken})).status == 200
    reply = invoke("create_dataset", route_event("create_dataset_restful", body={"name": name}))
    assert reply.body["data"]["name"] == ragflow_duplicate_name(name, {n.lower() for n in existing})
