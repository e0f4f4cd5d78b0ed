"""A small HTTP/1.1 load generator for the benchmarks: asyncio, N keep-alive connections on
loopback, each sending the next request of a plan as soon as its last answer is read.

    python bench/load.py PLAN.json RESULTS.json --host 127.0.0.1 --port 8000 --concurrency 100 [--rate R]

PLAN.json: [{"method", "path", "headers": {...}, "body": str|null}, ...]
RESULTS.json: [[status, error code or null, start, end], ...] in plan order (perf_counter
seconds of this process; only differences mean anything).

Run as its own process, so the load's CPU is not the server's. A request that loses its
connection is sent again on a new one (every redemption carries an Idempotency-Key, so a
resend cannot buy twice).
"""
import argparse
import asyncio
import json
import time


def encode(request: dict, host: str) -> bytes:
    body = (request.get("body") or "").encode()
    lines = [f"{request['method']} {request['path']} HTTP/1.1", f"Host: {host}",
             f"Content-Length: {len(body)}"]
    if body:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in (request.get("headers") or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status, length, close = int(lines[0].split()[1]), 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    return status, await reader.readexactly(length), close


def error_code(status: int, body: bytes):
    if status < 400:
        return None
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return "unparsed"


async def connection(host, port, raws, queue, results, pace=None):
    reader = writer = None
    while True:
        try:
            i = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        if pace is not None:  # open loop: request i is due at t0 + i / rate
            t0, per_second = pace
            await asyncio.sleep(max(0.0, t0 + i / per_second - time.perf_counter()))
        for _attempt in range(5):
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            start = time.perf_counter()
            try:
                writer.write(raws[i])
                status, body, close = await read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                reader = writer = None
                continue
            results[i] = [status, error_code(status, body), start, time.perf_counter()]
            if close:
                writer.close()
                reader = writer = None
            break
    if writer is not None:
        writer.close()


async def run(plan, host, port, concurrency, rate=None):
    raws = [encode(r, host) for r in plan]
    queue = asyncio.Queue()
    for i in range(len(plan)):
        queue.put_nowait(i)
    results = [None] * len(plan)
    pace = (time.perf_counter(), rate) if rate else None
    await asyncio.gather(*(connection(host, port, raws, queue, results, pace)
                           for _ in range(min(concurrency, len(plan)))))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("plan")
    parser.add_argument("results")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rate", type=float, default=None,
                        help="send at this many requests/s (open loop) instead of flat out")
    args = parser.parse_args()
    with open(args.plan) as f:
        plan = json.load(f)
    results = asyncio.run(run(plan, args.host, args.port, args.concurrency, args.rate))
    with open(args.results, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
