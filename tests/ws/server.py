#!/usr/bin/python3
"""A WebSocket server the SDK did not write: Debian's python3-websockets
(10.x, asyncio API), for the SDK's WebSocket client (tests/ws/ws_peer.c).

usage: server.py [CERT_DIR]
Listens on 127.0.0.1, port 0, plain and (with CERT_DIR: server.pem and
server.key from tests/tls/mint_certs.sh) TLS; prints "ports plain=N tls=M"
once both listen. Offers only the subprotocol rta.xboxlive.com.V2, no
extensions. On each connection it first sends a hello naming what the
client's handshake carried, then acts on each text message:
  text:X  -> text X        bin:X   -> binary X
  frag    -> text "frag-ment-ed" in three fragments, then binary 01 02 03 in two
  ping    -> pings with b"srv-ping", sends "pong-ok" once the matching pong came
  close   -> closes with 4001 "bye"
  drop    -> sends "dropping", then ends TCP without a close frame
  big:N   -> a text message of N bytes
  last:N  -> the close code the client of connection N sent ("none" without
             one), once that connection has ended
The hello carries the connection's number: "hello n=N ...".
On the path /rta it plays a minimal RTA service instead (no hello):
  [1,SEQ,URI]    -> [1,SEQ,0,7,{"ConnectionId":"peer-conn-1"}], then one
                    event with a shoulder tap for subscription 7
  [2,SEQ,SUBID]  -> [2,SEQ,0]
"""
import json
import asyncio
import os
import ssl
import sys

import websockets

SUBPROTOCOL = "rta.xboxlive.com.V2"
state = {"count": 0, "ended": {}}


async def close_code_of(n):
    for _ in range(1000):
        if n in state["ended"]:
            return state["ended"][n]
        await asyncio.sleep(0.01)
    return "unknown"


async def rta(ws):
    try:
        async for msg in ws:
            m = json.loads(msg)
            if m[0] == 1:
                await ws.send(json.dumps([1, m[1], 0, 7, {"ConnectionId": "peer-conn-1"}]))
                await ws.send(json.dumps([3, 7, {"ncid": "n", "shoulderTaps": [
                    {"resource": "scid-1~tmpl~game", "branch": "br-1", "changeNumber": 3}]}]))
            elif m[0] == 2:
                await ws.send(json.dumps([2, m[1], 0]))
    except websockets.ConnectionClosed:
        pass


async def handler(ws, path=None):
    if ws.path == "/rta":
        await rta(ws)
        return
    h = ws.request_headers
    state["count"] += 1
    n = state["count"]
    await ws.send("hello n=%d sub=%s auth=%s sig=%s ua=%s ext=%s" % (
        n, ws.subprotocol, h.get("Authorization"), h.get("Signature"), h.get("User-Agent"),
        h.get("Sec-WebSocket-Extensions")))
    try:
        async for msg in ws:
            if not isinstance(msg, str):
                await ws.send("unexpected binary")
            elif msg.startswith("text:"):
                await ws.send(msg[5:])
            elif msg.startswith("bin:"):
                await ws.send(msg[4:].encode())
            elif msg == "frag":
                await ws.send(["frag-", "ment-", "ed"])
                await ws.send([b"\x01", b"\x02\x03"])
            elif msg == "ping":
                waiter = await ws.ping(b"srv-ping")
                await asyncio.wait_for(waiter, 10)
                await ws.send("pong-ok")
            elif msg == "close":
                await ws.close(4001, "bye")
            elif msg == "drop":
                await ws.send("dropping")
                ws.transport.abort()
                return
            elif msg.startswith("big:"):
                await ws.send("x" * int(msg[4:]))
            elif msg.startswith("last:"):
                await ws.send(await close_code_of(int(msg[5:])))
            else:
                await ws.send("unknown " + msg)
    except websockets.ConnectionClosed:
        pass
    finally:
        await ws.wait_closed()
        state["ended"][n] = str(ws.close_code) if ws.close_code is not None else "none"


async def main():
    kw = dict(subprotocols=[SUBPROTOCOL], compression=None, max_size=1 << 20,
              ping_interval=None, close_timeout=2)
    plain = await websockets.serve(handler, "127.0.0.1", 0, **kw)
    ports = "plain=%d" % plain.sockets[0].getsockname()[1]
    if len(sys.argv) > 1:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(sys.argv[1], "server.pem"), os.path.join(sys.argv[1], "server.key"))
        tls = await websockets.serve(handler, "127.0.0.1", 0, ssl=ctx, **kw)
        ports += " tls=%d" % tls.sockets[0].getsockname()[1]
    print("ports " + ports, flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
