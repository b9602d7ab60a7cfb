"""RFC 6455, server side: the opening handshake checks, framing, ping/pong and close.

One WebSocket is served by one thread (the HTTP handler's) that does all of its
socket I/O, reads and writes alike, so a TLS socket is never used by two threads
at once. Other threads hand frames to it through a queue and a wake-up pipe.
Nothing here knows about RTA: messages go to an on_message callback.
"""

import base64
import binascii
import collections
import hashlib
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPS = (OP_CONT, OP_TEXT, OP_BINARY)
CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)
MAX_MESSAGE = 64 * 1024
CLOSE_WAIT_S = 5.0          # how long a server-initiated close waits for the answer
FLUSH_WAIT_S = 1.0          # how long send(..., wait=True) waits for the bytes to leave


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 1.3)."""
    digest = hashlib.sha1((key + GUID).encode('ascii')).digest()
    return base64.b64encode(digest).decode('ascii')


def header_tokens(headers, name):
    """The comma-separated tokens of every field called name, trimmed."""
    out = []
    for value in headers.get_all(name) or []:
        out.extend(t.strip() for t in value.split(',') if t.strip())
    return out


def check_request(headers):
    """Refusal (status, message, extra headers) for a bad upgrade request, or None.

    The checks run in a fixed order: version, key, Connection, Upgrade. The
    subprotocol and the credentials are the caller's (they are RTA's)."""
    versions = headers.get_all('Sec-WebSocket-Version') or []
    if [v.strip() for v in versions] != ['13']:
        return 426, 'Sec-WebSocket-Version must be 13', [('Sec-WebSocket-Version', '13')]
    keys = headers.get_all('Sec-WebSocket-Key') or []
    try:
        if len(keys) != 1 or len(base64.b64decode(keys[0].strip(), validate=True)) != 16:
            raise ValueError(keys)
    except (ValueError, binascii.Error):
        return 400, 'Sec-WebSocket-Key must be the base64 of 16 bytes', []
    if 'upgrade' not in [t.lower() for t in header_tokens(headers, 'Connection')]:
        return 400, 'Connection must carry the Upgrade token', []
    if 'websocket' not in [t.lower() for t in header_tokens(headers, 'Upgrade')]:
        return 400, 'Upgrade: websocket required', []
    return None


def frame(opcode, payload=b'', fin=True, rsv=0, mask=None, length_form=None):
    """Encode one frame. length_form forces 7, 16 or 64 (to build broken frames)."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)
    m = 0x80 if mask is not None else 0
    form = length_form or (7 if n <= 125 else 16 if n <= 0xFFFF else 64)
    if form == 7:
        head = struct.pack('!BB', b0, m | n)
    elif form == 16:
        head = struct.pack('!BBH', b0, m | 126, n)
    else:
        head = struct.pack('!BBQ', b0, m | 127, n)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b''):
    return b'' if code is None else struct.pack('!H', code) + reason


def valid_close_code(code):
    """May this code appear in a close frame (RFC 6455 section 7.4, IANA registry)?"""
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


class WsError(Exception):
    """The peer broke a framing rule: fail the connection with this close code."""

    def __init__(self, code, why):
        Exception.__init__(self, why)
        self.code = code
        self.why = why


class Frame:
    __slots__ = ('fin', 'opcode', 'payload')

    def __init__(self, fin, opcode, payload):
        self.fin = fin
        self.opcode = opcode
        self.payload = payload


def parse_frame(buf, pending, max_message):
    """Parse one client frame from the start of buf.

    pending is the byte count of the fragmented message being assembled, or
    None when none is open. Returns (Frame, bytes used), or None when buf does
    not hold the whole frame yet; raises WsError as soon as the bytes that
    break a rule are in (the size limit is decided from the header)."""
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    fin, opcode, n = bool(b0 & 0x80), b0 & 0xF, b1 & 0x7F
    if b0 & 0x70:
        raise WsError(1002, 'RSV bits set without an extension')
    if opcode not in DATA_OPS + CONTROL_OPS:
        raise WsError(1002, 'reserved opcode 0x%X' % opcode)
    if not b1 & 0x80:
        raise WsError(1002, 'unmasked client frame')
    pos = 2
    if n == 126:
        if len(buf) < 4:
            return None
        n = struct.unpack_from('!H', buf, 2)[0]
        pos = 4
        if n < 126:
            raise WsError(1002, 'length not in its shortest form')
    elif n == 127:
        if len(buf) < 10:
            return None
        n = struct.unpack_from('!Q', buf, 2)[0]
        pos = 10
        if n >> 63:
            raise WsError(1002, '64-bit length with the top bit set')
        if n <= 0xFFFF:
            raise WsError(1002, 'length not in its shortest form')
    if opcode in CONTROL_OPS:
        if not fin:
            raise WsError(1002, 'fragmented control frame')
        if n > 125:
            raise WsError(1002, 'control frame over 125 bytes')
    elif opcode == OP_CONT and pending is None:
        raise WsError(1002, 'continuation frame without a message')
    elif opcode != OP_CONT and pending is not None:
        raise WsError(1002, 'new data frame inside a fragmented message')
    if opcode in DATA_OPS and (pending or 0) + n > max_message:
        raise WsError(1009, 'message of at least %d bytes' % ((pending or 0) + n))
    if len(buf) < pos + 4 + n:
        return None
    key = bytes(buf[pos:pos + 4])
    data = bytes(buf[pos + 4:pos + 4 + n])
    if n:
        # XOR with the key repeated; int.from_bytes keeps this fast for 64 KiB.
        k = (key * (n // 4 + 1))[:n]
        data = (int.from_bytes(data, 'big') ^ int.from_bytes(k, 'big')).to_bytes(n, 'big')
    return Frame(fin, opcode, data), pos + 4 + n


class WebSocket:
    """One server-side WebSocket connection, served by run() in its own thread.

    on_message(ws, opcode, payload) gets every complete text or binary message
    (text already checked for UTF-8). Pongs are matched against the pings this
    side sent. Any thread may call send_message, send_raw, ping, close, reset
    and silence."""

    def __init__(self, sock, leftover=b'', on_message=None, log=None,
                 max_message=MAX_MESSAGE):
        self.sock = sock
        self.inbuf = bytearray(leftover)
        self.on_message = on_message or (lambda ws, op, data: None)
        self.log = log or (lambda msg: sys.stderr.write(msg + '\n'))
        self.max_message = max_message
        self.lock = threading.Lock()
        self.outq = collections.deque()    # bytes, or callables run in order
        self.flushed = threading.Condition(self.lock)
        self.queued = 0                    # chunks queued so far
        self.written = 0                   # chunks written so far
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.fragment = 0                  # fault: split messages into pieces this long
        self.drip = False                  # fault: one byte per write, 1 ms apart
        self.state = 'open'                # open, closing (close sent), silent, done
        self.close_deadline = None
        self.finish_after_flush = False
        self.reset_requested = False
        self.timers = []                   # (due time.monotonic(), fn)
        self.frames_in = 0
        self.frames_out = 0
        self.pings_answered = 0
        self.pings_sent = 0
        self.pongs = {'matched': 0, 'mismatched': 0}
        self.ping_payloads = collections.deque(maxlen=16)   # sent, not yet answered
        self.close_code = None             # the code of the close handshake or failure
        self.close_by = None               # 'client', 'server', 'fail', 'reset', 'eof'
        self.peer_close_code = None        # the code in the client's close frame (1005: none)
        self.pending = None                # bytes of the fragmented message being read
        self.parts = []
        self.first_op = OP_TEXT
        self.thread = None

    # ------------------------------------------------------------------ any thread

    def _queue(self, item, wait=False, frames=1):
        with self.lock:
            if self.state in ('done', 'silent') or \
                    (self.state == 'closing' and not callable(item)):
                return False
            self.outq.append((item, frames))
            self.queued += 1
            mine = self.queued
        self._wake()
        if wait and threading.current_thread() is not self.thread:
            with self.lock:
                self.flushed.wait_for(lambda: self.written >= mine or self.state == 'done',
                                      FLUSH_WAIT_S)
        return True

    def _wake(self):
        try:
            os.write(self.wake_w, b'x')
        except OSError:
            pass

    def send_message(self, payload, opcode=OP_TEXT, wait=False):
        """Queue one message (str is sent as text), fragmented if the fault says so."""
        if isinstance(payload, str):
            payload = payload.encode('utf-8')
        n = self.fragment
        if not n or len(payload) <= n:
            return self._queue(frame(opcode, payload), wait)
        pieces = [payload[i:i + n] for i in range(0, len(payload), n)]
        self.expect_pong(b'frag')
        out = frame(opcode, pieces[0], fin=False) + frame(OP_PING, b'frag')
        for i, p in enumerate(pieces[1:], 1):
            out += frame(OP_CONT, p, fin=i == len(pieces) - 1)
        return self._queue(out, wait, frames=len(pieces) + 1)

    def send_raw(self, data, wait=False, frames=1):
        """Queue bytes as they are: any frames, valid or not."""
        return self._queue(bytes(data), wait, frames)

    def ping(self, payload):
        self.expect_pong(payload)
        return self._queue(frame(OP_PING, payload))

    def expect_pong(self, payload):
        """Count a ping with this payload as sent (its pong will be matched)."""
        with self.lock:
            self.pings_sent += 1
            self.ping_payloads.append(bytes(payload))

    def close(self, code=1000, reason=b''):
        """Start the closing handshake: close frame, then wait for the answer (bounded)."""
        def start():
            if self.state == 'open':
                self.state = 'closing'
                self.close_code, self.close_by = code, 'server'
                self.close_deadline = time.monotonic() + CLOSE_WAIT_S
                return frame(OP_CLOSE, close_payload(code, reason))
            return b''
        with self.lock:
            if self.state == 'silent':   # a silenced connection may still be closed
                self.state = 'open'
        self._queue(start)

    def reset(self):
        """End TCP with a reset, no close frame."""
        with self.lock:
            self.reset_requested = True
        self._wake()

    def silence(self):
        """Stop answering and sending; TCP stays open until the peer or a reset ends it."""
        with self.lock:
            if self.state == 'open':
                self.state = 'silent'
                self.outq.clear()
        self._wake()

    def after(self, seconds, fn):
        """Run fn() in the I/O thread after that many seconds (timers of faults)."""
        def add():
            self.timers.append((time.monotonic() + seconds, fn))
            return b''
        self._queue(add)

    # ------------------------------------------------------------------ I/O thread

    def run(self):
        """Serve the connection until it ends. Returns when TCP is closed."""
        self.thread = threading.current_thread()
        self.sock.setblocking(False)
        out = b''
        try:
            while True:
                out = self._step(out)
                if out is None:
                    break
        except (OSError, ssl.SSLError) as e:
            if self.close_by is None:
                self.close_by, self.close_code = 'eof', 1006
            self.log('websocket: %s' % e)
        finally:
            self._end()

    def _step(self, out):
        """One round of the loop: parse, write, wait, read. None ends the loop."""
        if self.reset_requested:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.close_by, self.close_code = 'reset', 1006
            return None
        if self.state != 'silent':
            self._parse()
        now = time.monotonic()
        for due, fn in [t for t in self.timers if t[0] <= now]:
            self.timers.remove((due, fn))
            fn()
        if self.state == 'closing' and now >= self.close_deadline:
            return None
        if not out:
            out = self._next_chunk()
        if out and self.state != 'silent':
            piece = out[:1] if self.drip else out
            try:
                n = self.sock.send(piece)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                n = 0
            out = out[n:]
            if not out:
                self._chunk_written()
                if self.finish_after_flush and not self.outq:
                    return None
            if self.drip:
                time.sleep(0.001)
                return out
        elif self.finish_after_flush and not self.outq:
            return None
        self._wait(out)
        return out if self._read() else None

    def _next_chunk(self):
        while True:
            with self.lock:
                if not self.outq:
                    return b''
                item, frames = self.outq.popleft()
            if callable(item):
                item = item()
            if item:
                self.frames_out += frames
                return item
            self._chunk_written()

    def _chunk_written(self):
        with self.lock:
            self.written += 1
            self.flushed.notify_all()

    def _wait(self, out):
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return
        waits = [t[0] for t in self.timers]
        if self.state == 'closing':
            waits.append(self.close_deadline)
        timeout = max(0.0, min(waits) - time.monotonic()) if waits else None
        with self.lock:
            if self.outq:
                timeout = 0.0
        wr = [self.sock] if out and self.state != 'silent' else []
        r, _, _ = select.select([self.sock, self.wake_r], wr, [], timeout)
        if self.wake_r in r:
            try:
                os.read(self.wake_r, 4096)
            except OSError:
                pass

    def _read(self):
        """Read what the socket has. False when the peer ended TCP."""
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return True
        if not data:
            if self.close_by is None:
                self.close_by, self.close_code = 'eof', 1006
            return False
        if self.state != 'silent':
            self.inbuf += data
        return True

    def _parse(self):
        while self.state in ('open', 'closing') and not self.finish_after_flush:
            try:
                got = parse_frame(self.inbuf, self.pending, self.max_message)
            except WsError as e:
                self._fail(e.code, e.why)
                return
            if got is None:
                return
            f, used = got
            del self.inbuf[:used]
            self.frames_in += 1
            try:
                self._frame(f)
            except WsError as e:
                self._fail(e.code, e.why)
                return

    def _frame(self, f):
        if f.opcode == OP_CLOSE:
            self._peer_close(f.payload)
        elif f.opcode == OP_PING:
            if self.state == 'open':
                with self.lock:
                    self.outq.appendleft((frame(OP_PONG, f.payload), 1))
                self.pings_answered += 1
        elif f.opcode == OP_PONG:
            with self.lock:
                known = f.payload in self.ping_payloads
                if known:
                    self.ping_payloads.remove(f.payload)
                self.pongs['matched' if known else 'mismatched'] += 1
            if not known:
                self.log('websocket: pong %r answers no ping' % f.payload[:16])
        elif self.state == 'closing':
            return                       # data after our close frame: discarded
        else:
            if f.opcode != OP_CONT:
                self.pending, self.parts, self.first_op = 0, [], f.opcode
            self.parts.append(f.payload)
            self.pending += len(f.payload)
            if f.fin:
                data, op = b''.join(self.parts), self.first_op
                self.pending, self.parts = None, []
                if op == OP_TEXT:
                    try:
                        data.decode('utf-8')
                    except UnicodeDecodeError:
                        raise WsError(1007, 'text message is not UTF-8')
                self.on_message(self, op, data)

    def _peer_close(self, payload):
        if len(payload) == 1:
            raise WsError(1002, 'close frame with a 1-byte payload')
        code = struct.unpack('!H', payload[:2])[0] if payload else None
        if code is not None and not valid_close_code(code):
            raise WsError(1002, 'close code %d may not be sent' % code)
        try:
            payload[2:].decode('utf-8')
        except UnicodeDecodeError:
            raise WsError(1007, 'close reason is not UTF-8')
        if self.state == 'closing':
            self.log('websocket: close answered with %s' % code)
            self.peer_close_code = 1005 if code is None else code
            self._closing(None)
            return
        self.close_code = 1005 if code is None else code
        self.peer_close_code = self.close_code
        self.close_by = 'client'
        self._closing(frame(OP_CLOSE, close_payload(code)))

    def _fail(self, code, why):
        self.log('websocket: failing the connection with %d: %s' % (code, why))
        self.close_code, self.close_by = code, 'fail'
        self._closing(frame(OP_CLOSE, close_payload(code)))

    def _closing(self, last):
        """Send last (if any) as the final frame, then close TCP."""
        with self.lock:
            self.state = 'closing'
            self.close_deadline = time.monotonic() + CLOSE_WAIT_S
            self.outq.clear()
            if last:
                self.outq.append((last, 1))
            self.finish_after_flush = True

    def _drain(self):
        """Send FIN, then read and discard until the peer's FIN (bounded).

        Closing a socket with unread input makes the kernel answer with a
        reset, which can destroy the close frame still on its way."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        deadline = time.monotonic() + CLOSE_WAIT_S
        while time.monotonic() < deadline:
            try:
                r, _, _ = select.select([self.sock], [], [], deadline - time.monotonic())
                if r and not self.sock.recv(65536):
                    return
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ValueError):
                return

    def _end(self):
        with self.lock:
            self.state = 'done'
            self.outq.clear()
            self.flushed.notify_all()
        if not self.reset_requested:
            self._drain()
        try:
            self.sock.close()
        except OSError:
            pass
        for fd in (self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
