"""Dollars per million requests, per operation and per memory size, from the other sections' figures.

Prices are AWS's public on-demand prices for us-east-1 as documented in 2025, written down without internet
access (this machine has none): check them against the AWS pricing pages before relying on them.
"""

from __future__ import annotations

import math
from typing import Any

from bench.common import memory_size, table

TITLE = "Cost per million requests (us-east-1, on demand)"
ABOUT = (
    "Lambda arm64 at the template's memory. Billed duration = our code's warm time (§1, DynamoDB time taken "
    "out, at the memory size's CPU share) + an assumed AWS DynamoDB latency per call (GetItem 4 ms, Query and "
    "BatchGetItem 6 ms, TransactWriteItems 15 ms), rounded up to 1 ms. DynamoDB units, calls and log bytes "
    "from §2; logs add 350 bytes of Lambda's START/END/REPORT lines; X-Ray's default sampling records ~5% of "
    "requests at volume. The authorizer runs once per cache miss (60 s per key): its row is apart, without "
    "API Gateway. INIT phases are billed (since 2025-08-01): per cold start, and per million requests at an "
    "assumed 1% cold starts. Computed when the report is written from the last runs of §1 and §2."
)
PRICES = {
    "Lambda requests": (0.20 / 1e6, "$0.20 per 1M requests"),
    "Lambda arm64 GB-s": (0.0000133334, "$0.0000133334 per GB-second (first 7.5 billion GB-s a month)"),
    "API Gateway REST": (3.50 / 1e6, "$3.50 per 1M requests (first 333M a month)"),
    "DynamoDB write unit": (0.625 / 1e6, "$0.625 per 1M write request units, on demand (since 2024-11-01)"),
    "DynamoDB read unit": (0.125 / 1e6, "$0.125 per 1M read request units, on demand (since 2024-11-01)"),
    "CloudWatch Logs": (0.50, "$0.50 per GB ingested (standard class, first tier)"),
    "X-Ray traces": (5.00 / 1e6, "$5.00 per 1M traces recorded (beyond 100k free a month)"),
    "SnapStart cache": (0.0000015046, "$0.0000015046 per GB-second cached, per published version (3 h minimum)"),
    "SnapStart restore": (0.0001397998, "$0.0001397998 per GB restored"),
}
MONTH_S = 30 * 24 * 3600
DDB_MS = {"GetItem": 4.0, "Query": 6.0, "BatchGetItem": 6.0, "TransactWriteItems": 15.0}
PLATFORM_LOG_BYTES = 350
XRAY_SAMPLED = 0.05
COLD_RATE = 0.01


def price(name: str) -> float:
    return PRICES[name][0]


def gb_s(ms: float, mb: int) -> float:
    return ms / 1000 * mb / 1024 * price("Lambda arm64 GB-s")


def _warm(coldstart: dict[str, Any], function: str) -> tuple[float, str]:
    mb = str(memory_size(function))
    found = coldstart["memory"].get(function, {}).get(mb)
    return (found["warm_ms"], f"{mb} MB share") if found else (coldstart["full"][function]["warm_ms"], "a full core")


def section(results: dict[str, Any]) -> dict[str, Any]:
    rt, cs = results["roundtrips"]["data"], results["coldstart"]["data"]
    rows = []
    for r in (r for r in rt["rows"] if r["status"] != "ERROR"):
        gateway, mb = r["function"] != "authorizer", memory_size(r["function"])
        ours, cpu = _warm(cs, r["function"])
        ddb = sum(DDB_MS.get(op, 6.0) * n for op, n in r["calls"].items())
        billed = math.ceil(ours + ddb)
        units = r["read_units"] * price("DynamoDB read unit") + r["write_units"] * price("DynamoDB write unit")
        logs = (r["log_bytes"] + PLATFORM_LOG_BYTES) / 1024**3 * price("CloudWatch Logs")
        dollars = [price("Lambda requests"), gb_s(billed, mb), price("API Gateway REST") * gateway, units, logs]
        dollars.append(XRAY_SAMPLED * price("X-Ray traces") * gateway)
        head = f"{r['api']} {r['description']} | {mb} | {cpu} | {ours:.1f} + {ddb:.0f} = {billed} | {r['read_units']:g}"
        cells = [f"{r['write_units']:g}", str(r["log_bytes"]), *(f"{d * 1e6:.3f}" for d in dollars)]
        rows.append(f"{head} | {' | '.join(cells)} | **{sum(dollars) * 1e6:.2f}**")
    memory = []
    for function, sized in cs["memory"].items():
        for mb, m in sorted(sized.items(), key=lambda kv: int(kv[0])):
            init, warm = gb_s(m["cold_ms"], int(mb)), gb_s(math.ceil(m["warm_ms"] + 6), int(mb))
            name = function + (" (template)" if int(mb) == memory_size(function) else "")
            dollars_ = f"{warm * 1e6:.2f} | {init * 1e6:.2f} | {init * COLD_RATE * 1e6:.3f}"
            memory.append(f"{name} | {mb} | {m['cold_ms']:.0f} | {m['warm_ms']:.1f} | {dollars_}")
    operation = "operation | MB | CPU | ms: ours + DynamoDB = billed | RRU | WRU | log bytes | Lambda requests $ | "
    operation += "Lambda GB-s $ | API Gateway $ | DynamoDB $ | Logs $ | X-Ray $ | total $"
    by_size = "function | MB | cold start ms | warm, our code ms | Lambda GB-s $ / 1M warm (+ one 6-ms call) | "
    by_size += "µ$ per cold start | $ / 1M requests at 1% cold"
    snap = []
    for function, sized in cs["memory"].items():
        mb = memory_size(function)
        if str(mb) in sized:
            init, gb = gb_s(sized[str(mb)]["cold_ms"], mb), mb / 1024
            restore, cache = gb * price("SnapStart restore"), gb * price("SnapStart cache") * MONTH_S
            snap.append(f"{function} | {mb} | {sized[str(mb)]['cold_ms']:.0f} | {init * 1e6:.2f} | "
                        f"{restore * 1e6:.1f} ({restore / init:.0f}x) | {cache:.2f}")  # fmt: skip
    snapstart = "function | MB | INIT ms at its CPU share | µ$ per cold start: INIT billed | µ$ per cold start "
    snapstart += "with SnapStart: restore (x INIT) | $ per month: snapshot cache, one version"
    decision = (
        "SnapStart for Python (3.12+): AWS publishes no restore time, only 'as low as sub-second startup', and "
        "says infrequently invoked functions may not see the same improvement. A restore costs an order of "
        "magnitude more than the INIT it replaces (table), and the cache is paid for every published version (the "
        "canary keeps two): **decision: off.** The authorizer's INIT at 256 MB is the one near a second; it runs "
        "only on authorizer-cache misses, and more memory (a larger CPU share) is the cheaper cure if it matters."
    )
    listed = (f"{k} | {v[1]}" for k, v in PRICES.items())
    prices = table("Prices (us-east-1; written from memory, no internet here)", "item | price", listed)
    title = "Memory size: cold start and warm time at its CPU share (§1), what Lambda compute costs"
    tables = [prices, table("Per operation, $ per million requests", operation, rows), table(title, by_size, memory)]
    tables.append(table("SnapStart, decided by numbers (template memory sizes)", snapstart, snap, decision))
    return {"tables": tables, "targets": [], "data": {}}
