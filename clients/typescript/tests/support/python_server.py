"""A Python zaptools server (FastAPI + uvicorn, PyPI `zaptools`) for the TypeScript client's tests.

Usage: python3 python_server.py [PORT]
Binds 127.0.0.1 on PORT (a free port by default), prints `PORT <n>`, serves WebSocket at /ws:
  hello -> hello {"hi": <payload>}
  echo  -> echo <payload> with the event's headers
"""
import asyncio
import socket
import sys

import uvicorn
from fastapi import FastAPI, WebSocket
from zaptools.connectors import FastApiConnector
from zaptools import EventContext, EventRegister

app = FastAPI()
register = EventRegister()


@register.on_event("hello")
async def hello(ctx: EventContext) -> None:
    await ctx.connection.send("hello", {"hi": ctx.payload})


@register.on_event("echo")
async def echo(ctx: EventContext) -> None:
    await ctx.connection.send("echo", ctx.payload, ctx.headers)


@app.websocket("/ws")
async def websocket_endpoint(ws: WebSocket) -> None:
    await FastApiConnector(register, ws).start()


async def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", ws="websockets")
    await uvicorn.Server(config).serve(sockets=[sock])


asyncio.run(main())
