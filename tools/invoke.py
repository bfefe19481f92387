"""``sam local invoke`` without Docker: one function of ``template.yaml``, one event, on the local API's data.

    python -m tools.invoke FunctionLogicalId [-e EVENT_FILE | -e -] [-n ENV_VARS_FILE] [--dataset-id ID]
                           [--state-dir DIR | --dynamodb-endpoint URL [--table NAME]] [--from-build [DIR]]

As with ``sam local invoke``: the event is a file, ``-`` for stdin, or ``{}`` when none is given; the function
gets the environment the template gives it (its own variables and the globals, parameters at their defaults),
where a variable set in this shell and then the ``--env-vars`` file (SAM's format: ``{"Parameters": {...},
"<LogicalId>": {...}}``) win, for the variables the template declares only; the function's logs go to stderr
and what it returned to stdout, as JSON. The exit status is 0 when the function returned, 1 when it raised
(its error is printed as Lambda reports it), 2 when the invocation could not be made.

Where the data is: the local API's state folder (``.local/``, ``--state-dir``), whether or not ``make run`` is
running: a running local API owns the folder, so the function talks to the DynamoDB endpoint it serves (asked over
its admin socket); otherwise the folder is opened here, with its lock, as the local API would open it (every write
journaled before the function gets its answer), with the dev key the ``authorizer_*`` events carry. Or any
DynamoDB-compatible endpoint: ``--dynamodb-endpoint``, or ``DYNAMODB_ENDPOINT`` from the env-vars file (a
``host.docker.internal`` there is this machine: read as 127.0.0.1).

``--from-build`` runs the function of ``sam build``'s output in a Python 3.13 process of its own, with AWS's
Powertools layer's packages (``tools.lambda_artifact``), instead of importing its source folder here.
``--dataset-id`` points an event at an existing dataset: its ``dataset_id`` path parameter, or the ``ids`` of a
bulk delete's body.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from dataset_core import api_keys
from dataset_core.storage.transact import ConditionFailedError
from tools import apikeys, lambda_artifact, local_state, template
from tools.dynamodb_endpoint import DynamoDBEndpoint
from tools.local_lambda import Invocable, LambdaFunction, Output, code_dir, declared_variables, function_environment
from tools.usage_plans import LocalUsagePlans

DEV_KEY = "ragflow-local-development-key-0000000000000"
"""The key of the ``authorizer_*`` events (``tools.local_api.DEV_KEY``), registered for the dev tenant."""
DEV_TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
DOCKER_HOST = "host.docker.internal"
EXIT_RETURNED, EXIT_RAISED, EXIT_UNUSABLE = 0, 1, 2
SAM_DEFAULT_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "defaultkey",
    "AWS_SECRET_ACCESS_KEY": "defaultsecret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
"""What ``sam local invoke`` gives a function when this machine has no AWS credentials; a local endpoint takes any."""


class InvokeError(Exception):
    """The invocation cannot be made as asked; the message says why."""


# ---- the command line ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.invoke",
        description="Invoke one function of template.yaml with an event, like sam local invoke, without Docker.",
    )
    parser.add_argument("function", metavar="FunctionLogicalId", help="e.g. CreateDatasetFunction")
    parser.add_argument("-e", "--event", help="the event file (events/*.json), or - for stdin (default: {})")
    parser.add_argument("-n", "--env-vars", type=Path, help="environment variables, in sam local's JSON format")
    parser.add_argument("--dataset-id", help="an existing dataset's id: the event's dataset_id, or a bulk delete's ids")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state-dir", type=Path, help="the local API's state folder (default .local/; must exist)")
    where.add_argument("--dynamodb-endpoint", help="a DynamoDB-compatible endpoint instead of the local state")
    parser.add_argument("--table", help=f"the table (default {local_state.LOCAL_TABLE})")
    parser.add_argument(
        "--from-build",
        nargs="?",
        const=str(template.ROOT / ".aws-sam" / "build"),
        default=None,
        type=Path,
        metavar="DIR",
        help="run sam build's output (default DIR .aws-sam/build) on Python 3.13 with the Powertools layer",
    )
    return parser


def read_event(source: str | None, stdin: TextIO) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        text = stdin.read() if source == "-" else Path(source).read_text()
        event = json.loads(text)
    except OSError as error:
        raise InvokeError(f"cannot read the event {source}: {error.strerror}") from None
    except ValueError as error:
        raise InvokeError(f"the event {source} is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise InvokeError(f"the event {source} is not a JSON object")
    return event


def with_dataset(event: dict[str, Any], dataset_id: str) -> dict[str, Any]:
    """The event pointed at ``dataset_id``: its path parameter (and path), or a bulk delete's ``ids``."""
    params = event.get("pathParameters") or {}
    if "dataset_id" in params:
        old = params["dataset_id"]
        event["pathParameters"] = {**params, "dataset_id": dataset_id}
        event["path"] = str(event.get("path", "")).replace(old, dataset_id)
        context = event.get("requestContext") or {}
        if "path" in context:
            context["path"] = str(context["path"]).replace(old, dataset_id)
        return event
    try:
        body = json.loads(event.get("body") or "null")
    except ValueError:
        body = None
    if isinstance(body, dict) and "ids" in body:
        event["body"] = json.dumps({**body, "ids": [dataset_id]})
        return event
    raise InvokeError("--dataset-id: this event names no dataset (no dataset_id path parameter, no ids in its body)")


# ---- the environment -------------------------------------------------------------------------------------------


def env_file_values(path: Path | None, logical_id: str) -> dict[str, str]:
    """The ``--env-vars`` values for one function: ``Parameters`` (all functions), then its own; as sam local
    reads them (values made strings)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise InvokeError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise InvokeError(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InvokeError(f'{path}: expected {{"Parameters": {{...}}, "<LogicalId>": {{...}}}}')
    values = {**data.get("Parameters", {}), **data.get(logical_id, {})}
    return {name: _string(value) for name, value in values.items()}


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def environment(
    logical_id: str, args: argparse.Namespace, state: local_state.StateDir, shell: dict[str, str]
) -> dict[str, str]:
    """The function's variables: the template's, then this shell's, then the env-vars file's, for the names the
    template declares (sam local sets no others); the table and endpoint follow ``--table``/``--dynamodb-endpoint``
    unless the file names them."""
    declared = set(declared_variables(logical_id))
    env = function_environment(logical_id, args.table or local_state.LOCAL_TABLE, state)
    for name in declared:
        if name in shell and name != "TABLE_NAME":  # the table is the state's, or --table, or the file's
            env[name] = shell[name]
    if args.dynamodb_endpoint:
        env["DYNAMODB_ENDPOINT"] = args.dynamodb_endpoint
    from_file = env_file_values(args.env_vars, logical_id)
    ignored = sorted(set(from_file) - declared)
    if ignored:
        print(f"note: {', '.join(ignored)} not declared for {logical_id} in template.yaml: not set", file=sys.stderr)
    env.update({name: value for name, value in from_file.items() if name in declared})
    endpoint = env.get("DYNAMODB_ENDPOINT", "")
    if DOCKER_HOST in endpoint:  # the env-vars file for containers, used on this machine
        env["DYNAMODB_ENDPOINT"] = endpoint.replace(DOCKER_HOST, "127.0.0.1")
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


# ---- where the data is ----------------------------------------------------------------------------------------


@contextmanager
def local_data(state: local_state.StateDir) -> Iterator[tuple[str | None, local_state.EmbeddedDatabase | None]]:
    """The running local API's DynamoDB endpoint (URL, None), or the state folder opened here (None, database)."""
    if not state.path.is_dir():
        raise InvokeError(
            f"{state.path} is not a local API state folder (it does not exist): start the local API once "
            "(make run), or give the --state-dir of one, or a --dynamodb-endpoint"
        )
    deadline = time.monotonic() + apikeys.WAIT_FOR_STATE
    while True:
        lock = local_state.StateLock(state, local_state.StateLock.INVOKE)
        if lock.acquire():
            database = local_state.EmbeddedDatabase(state)
            try:
                try:
                    database.open()
                except local_state.StateError as error:
                    raise InvokeError(str(error)) from None
                _ensure_dev_key()
                yield None, database
                return
            finally:
                database.close()
                lock.release()
        holder = lock.holder()
        if holder is not None and holder.role == local_state.StateLock.SERVER:
            try:
                found = apikeys.ask_server(state, {"action": "endpoint"})
            except (FileNotFoundError, ConnectionRefusedError):  # starting: its door is not open yet
                found = None
            except apikeys.CommandError as error:
                raise InvokeError(f"the local API (pid {holder.pid}) owning {state.path}: {error}") from None
            if found is not None:
                yield str(found["endpoint"]), None
                return
        if time.monotonic() > deadline:
            who = f"{holder.role} (pid {holder.pid})" if holder else "another process"
            raise InvokeError(f"{who} has held {state.path} for {apikeys.WAIT_FOR_STATE:g} s; try again later")
        time.sleep(0.05)


def _ensure_dev_key() -> None:
    """The key of the authorizer events, in the embedded database only (as the local API registers it), its tenant
    on the default usage tier as a tenant's first key puts it."""
    apikeys.ensure_tier(DEV_TENANT, LocalUsagePlans)
    if api_keys.authenticate(DEV_KEY) is None:
        try:
            api_keys.create_key(DEV_TENANT, "local development", DEV_KEY)
        except ConditionFailedError:
            print("note: the dev key was revoked in this state: the authorizer events are refused", file=sys.stderr)


# ---- the invocation -------------------------------------------------------------------------------------------


def _apply(env: dict[str, str]) -> None:
    """Make ``env`` this process's function environment (the data source and the settings cache follow it)."""
    for name, value in env.items():
        os.environ[name] = value
    for name, value in SAM_DEFAULT_CREDENTIALS.items():  # as sam local when none are configured
        os.environ.setdefault(name, value)
    local_state.use_table(env.get("TABLE_NAME") or local_state.LOCAL_TABLE, env.get("DYNAMODB_ENDPOINT") or None)


def _function(
    logical_id: str, args: argparse.Namespace, env: dict[str, str], state: local_state.StateDir, output: Output
) -> Invocable:
    if args.from_build is None:
        return LambdaFunction(logical_id, code_dir(logical_id), output)
    built = lambda_artifact.artifact(args.from_build.resolve())
    worker_env = lambda_artifact.worker_environment(
        logical_id, env.get("TABLE_NAME") or local_state.LOCAL_TABLE, state, env["DYNAMODB_ENDPOINT"]
    )
    return lambda_artifact.WorkerFunction(logical_id, built, {**worker_env, **env}, output)


def invoke(logical_id: str, event: dict[str, Any], args: argparse.Namespace, output: Output) -> tuple[int, Any]:
    """(exit status, what to print): the function's return value, or Lambda's error report."""
    if logical_id not in template.resources("AWS::Serverless::Function"):
        known = ", ".join(sorted(template.resources("AWS::Serverless::Function")))
        raise InvokeError(f"template.yaml has no function {logical_id!r}; its functions: {known}")
    state = local_state.StateDir((args.state_dir or local_state.DEFAULT_STATE_DIR).resolve())
    env = environment(logical_id, args, state, dict(os.environ))
    if env.get("DYNAMODB_ENDPOINT"):
        return _run(logical_id, event, args=args, env=env, state=state, output=output)
    with local_data(state) as (url, database):
        if url is not None:
            env["DYNAMODB_ENDPOINT"] = url
            return _run(logical_id, event, args=args, env=env, state=state, output=output)
        assert database is not None
        if args.from_build is None:
            return _run(logical_id, event, args=args, env=env, state=state, output=output)
        endpoint = DynamoDBEndpoint(0, database.region)  # the built function runs in another process
        endpoint.start()
        try:
            env["DYNAMODB_ENDPOINT"] = endpoint.url
            return _run(logical_id, event, args=args, env=env, state=state, output=output)
        finally:
            endpoint.shutdown()
            endpoint.server_close()


def _run(
    logical_id: str,
    event: dict[str, Any],
    *,
    args: argparse.Namespace,
    env: dict[str, str],
    state: local_state.StateDir,
    output: Output,
) -> tuple[int, Any]:
    if args.from_build is None:
        _apply(env)
    function = _function(logical_id, args, env, state, output)
    try:
        return EXIT_RETURNED, function.invoke(event)
    except lambda_artifact.FunctionError as error:
        return EXIT_RAISED, {"errorType": error.kind, "errorMessage": str(error)}
    except Exception as error:  # the handler raised, in this process
        here = str(Path(__file__).resolve().parent)
        trace = [f for f in traceback.format_tb(error.__traceback__) if here not in f]  # the function's frames only
        return EXIT_RAISED, {"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": trace}
    finally:
        if isinstance(function, lambda_artifact.WorkerFunction):
            function.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    answer_to = sys.stdout
    sys.stdout = sys.stderr  # the function's logs, and Lambda's START/END/REPORT lines, are stderr's
    try:
        event = read_event(args.event, sys.stdin)
        if args.dataset_id is not None:
            event = with_dataset(event, args.dataset_id)
        status, answer = invoke(args.function, event, args, Output())
    except (InvokeError, apikeys.CommandError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except SystemExit as error:  # what the local API would refuse to start with (no build, no Python 3.13)
        if isinstance(error.code, int):
            raise
        print(f"error: {error.code}", file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        sys.stdout = answer_to
    answer_to.write(json.dumps(answer) + "\n")
    answer_to.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
