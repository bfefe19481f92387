"""The local API's embedded DynamoDB served as an endpoint: what ``sam local`` in Docker (``events/env.json``),
``tools.invoke`` and the built artifact's functions talk to while ``make run`` owns the state folder.

A write through the endpoint is the local API's own data: seen at once over HTTP, journaled before it is
acknowledged (it survives ``kill -9``), and atomic like every request of the embedded database.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_server import DEV_KEY, LocalApi, running
from tools import local_state

TABLE = local_state.LOCAL_TABLE


def endpoint_of(api: LocalApi) -> str:
    found = re.search(r"DynamoDB  (http://127\.0\.0\.1:\d+) \(table ragflow-datasets-local", api.output())
    assert found is not None, api.output()
    return found.group(1)


def client(url: str, region: str = "eu-west-3") -> Any:
    """A client as a container's function makes one: any region, any credentials (the endpoint serves its own)."""
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
    )


def test_boto3_reads_and_writes_the_local_apis_table(tmp_path: Path) -> None:
    with running(tmp_path / "state") as api:
        dynamodb = client(endpoint_of(api))
        assert dynamodb.list_tables()["TableNames"] == [TABLE]
        created = api.bearer("POST", "/api/v1/datasets", json_body={"name": "over-http"}).body["data"]["id"]
        items = dynamodb.scan(TableName=TABLE)["Items"]
        assert any(i.get("id", {}).get("S") == created for i in items), (
            "a dataset made over HTTP is in the endpoint's table"
        )
        key = {"pk": {"S": "ENDPOINT#1"}, "sk": {"S": "X"}}
        dynamodb.put_item(TableName=TABLE, Item={**key, "blob": {"B": b"\x00\xff"}, "n": {"N": "1"}})
        got = dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
        assert got["blob"]["B"] == b"\x00\xff"
        dynamodb.update_item(
            TableName=TABLE, Key=key, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
        )
        assert dynamodb.get_item(TableName=TABLE, Key=key)["Item"]["n"] == {"N": "2"}


def test_an_acknowledged_write_through_the_endpoint_survives_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "state"
    key = {"pk": {"S": "ENDPOINT#durable"}, "sk": {"S": "X"}}
    with running(state) as api:
        dynamodb = client(endpoint_of(api))
        dynamodb.put_item(TableName=TABLE, Item={**key, "v": {"S": "kept"}})
        dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "ENDPOINT#gone"}, "sk": {"S": "X"}})
        assert api.stop(signal.SIGKILL) == -signal.SIGKILL
    assert any(p.stat().st_size for p in state.glob("journal-*.log")), (
        "the write is in the journal, not (yet) in a snapshot"
    )
    with running(state) as api:
        assert client(endpoint_of(api)).get_item(TableName=TABLE, Key=key)["Item"]["v"] == {"S": "kept"}


def test_conditional_writes_through_the_endpoint_are_atomic(tmp_path: Path) -> None:
    """Eight clients race to create the same item: exactly one wins, as on DynamoDB."""
    with running(tmp_path / "state") as api:
        url = endpoint_of(api)
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def race(n: int) -> None:
            dynamodb = client(url)
            barrier.wait()
            try:
                dynamodb.put_item(
                    TableName=TABLE,
                    Item={"pk": {"S": "ENDPOINT#race"}, "sk": {"S": "X"}, "winner": {"N": str(n)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                outcomes.append("won")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

        threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["ConditionalCheckFailedException"] * 7 + ["won"]


def test_what_the_journal_cannot_replay_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with running(tmp_path / "state") as api:
        dynamodb = client(endpoint_of(api))
        with pytest.raises(ClientError, match="does not support CreateTable"):
            dynamodb.create_table(
                TableName="another",
                KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        assert dynamodb.list_tables()["TableNames"] == [TABLE]


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "localhost"])
def test_only_requests_naming_this_endpoint_as_their_host_are_served(
    tmp_path_factory: pytest.TempPathFactory, host: str
) -> None:
    """The endpoint has no keys: a web page elsewhere must not reach it by pointing its own name at 127.0.0.1."""
    with running(tmp_path_factory.mktemp("host") / "state") as api:
        port = int(endpoint_of(api).rsplit(":", 1)[1])
        body = json.dumps({"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}})
        headers = {
            "Host": host.format(port=port),
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "Content-Type": "application/x-amz-json-1.0",
        }
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/", body=body, headers=headers)
        reply = conn.getresponse()
        assert reply.status == 403
        assert b"AccessDeniedException" in reply.read()
        conn.close()
        for allowed in (f"127.0.0.1:{port}", f"localhost:{port}", f"host.docker.internal:{port}"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/", body=body, headers={**headers, "Host": allowed})
            assert conn.getresponse().status == 200, allowed
            conn.close()
        assert api.bearer("GET", "/api/v1/datasets", DEV_KEY).status == 200
