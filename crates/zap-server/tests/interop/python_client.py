"""Drives a Rust zaptools server with the real Python `zaptools` client.

Usage: python3 python_client.py WS_URL
Prints `EVENT <json>` per event received, then `DONE` (the library logs to stdout too).
"""
import asyncio
import json
import sys

from zaptools.client import ZapClient


async def main(url: str) -> None:
    client = ZapClient()
    await client.connect(url)
    await client.send("hello", {"from": "python"})
    await client.send("echo", {"nested": [1, 2, {"x": None}]}, {"trace": "abc"})
    await client.send("typed", "not a number")
    stream = client.event_stream()
    received = 0
    async for event in stream:
        print("EVENT " + json.dumps({"eventName": event.event_name, "payload": event.payload,
                          "headers": event.headers}), flush=True)
        received += 1
        if received == 4:
            break
    await client.close()
    print("DONE", flush=True)


asyncio.run(asyncio.wait_for(main(sys.argv[1]), timeout=20))
