// zaptools.js: a dependency-free ES module that speaks the zaptools protocol
// (docs/protocol.md) from a browser: one JSON text frame per event,
// reconnection with backoff, and the recovery extension (session resume,
// duplicate filtering, at-least-once sends with ids and acknowledgements).
//
//   import { ZapClient } from "./zaptools.js";
//   const client = new ZapClient("ws://127.0.0.1:8000/ws");
//   client.on("message", (payload, event) => console.log(payload));
//   client.onState((state) => console.log(state));      // connecting | online | offline | error
//   client.onSession((outcome) => console.log(outcome)); // {status: "new" | "recovered" | "gaps", ...}
//   client.connect();
//   client.send("join", { room: "lobby", name: "ada" });
//
// Guarantee, with a server that offers recovery: events from the server
// are delivered once, in order, across reconnects within the server's
// session window; events sent here are kept until the server acknowledges
// them and sent again after a reconnect, and the server handles each once.
// When the window expired, `onSession` says so (`status: "new"`, `reason:
// "expired"`) and `undelivered` counts the sent events that may not have
// been handled. A server without the extension gets plain v1.

/** Event names and header names reserved for the extensions. */
const RESERVED = "zap.";

/** Default options of a ZapClient. */
const DEFAULTS = {
  recovery: true,          // ask for the recovery extension
  maxUnacknowledged: 1024, // sent events waiting for an acknowledgement
  maxOutbox: 1024,         // events waiting to be written (offline, or above the bound)
  initialDelay: 250,       // first reconnection delay, ms (doubles up to maxDelay)
  maxDelay: 5000,
  sessionWait: 2000,       // how long to wait for zap.session before treating the server as plain v1, ms
};

export class ZapClient {
  /**
   * @param {string} url the WebSocket URL (ws:// or wss://)
   * @param {object} [options] see DEFAULTS
   */
  constructor(url, options = {}) {
    this.url = url;
    this.options = { ...DEFAULTS, ...options };
    this.state = "offline";
    this._socket = null;
    this._wanted = false;          // connect() called and not disconnect()
    this._attempt = 0;
    this._timer = null;
    this._listeners = { event: new Map(), any: [], state: [], session: [], error: [] };
    // Recovery state, kept across connections.
    this._token = null;
    this._rooms = new Map();       // room -> {epoch, offset}
    this._seq = 0;
    this._lastId = 0;
    this._journal = [];            // [{id, frame}] written, not acknowledged
    this._outbox = [];             // [{eventName, payload, headers}] not written yet
    this._negotiated = false;      // this connection got zap.session
    this._gated = false;           // events wait for the server's first frame
    this._awaiting = false;        // no event from the server yet on this connection
    this._gateTimer = null;
  }

  /** Calls `fn(payload, event)` for every event named `eventName`. */
  on(eventName, fn) {
    const list = this._listeners.event.get(eventName) || [];
    list.push(fn);
    this._listeners.event.set(eventName, list);
    return this;
  }

  /** Calls `fn(event)` for every event. */
  onAny(fn) { this._listeners.any.push(fn); return this; }

  /** Calls `fn(state)` on every state change: connecting, online, offline, error. */
  onState(fn) { this._listeners.state.push(fn); return this; }

  /**
   * Calls `fn(outcome)` when a connection's session begins:
   * `{id, status, reason, gaps, directGap, undelivered}` with status "new",
   * "recovered" or "gaps" (the rooms in `gaps`), or "v1" when the server
   * does not offer recovery. After "recovered" or "gaps", the events missed
   * meanwhile arrive first, in order, before any new one.
   */
  onSession(fn) { this._listeners.session.push(fn); return this; }

  /** Calls `fn(message)` for problems (invalid frames, lost events). */
  onError(fn) { this._listeners.error.push(fn); return this; }

  /** Connects, and reconnects after every loss until disconnect(). */
  connect() {
    this._wanted = true;
    if (!this._socket) this._open();
  }

  /** Closes the connection and ends the session; unsent events are dropped. */
  disconnect() {
    this._wanted = false;
    clearTimeout(this._timer);
    const socket = this._socket;
    this._socket = null;
    if (socket) { this._detach(socket); socket.close(1000); }
    this._token = null; this._rooms.clear(); this._seq = 0; this._lastId = 0;
    this._journal = []; this._outbox = [];
    this._setState("offline");
  }

  /**
   * Sends an event: written now when possible, else held (in order) until
   * the connection is back. Returns false when the outbox is full.
   */
  send(eventName, payload = null, headers = undefined) {
    if (this._outbox.length >= this.options.maxOutbox) {
      this._emit("error", "outbox full: event " + eventName + " not sent");
      return false;
    }
    this._outbox.push({ eventName, payload, headers });
    this._flush();
    return true;
  }

  // ---- connection -------------------------------------------------------

  _open() {
    this._setState("connecting");
    const socket = new WebSocket(this._dialUrl());
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      this._negotiated = false;
      this._gated = this._awaiting = this.options.recovery;
      if (this._gated) {
        // A v1 server may send nothing until asked: after a while, go plain.
        this._gateTimer = setTimeout(() => this._plain(), this.options.sessionWait);
      }
      this._setState("online");
      this._flush();
    };
    socket.onmessage = (message) => this._receive(message.data);
    socket.onclose = (close) => {
      if (this._socket !== socket) return;
      this._socket = null;
      this._gated = false;
      clearTimeout(this._gateTimer);
      this._setState(close.wasClean ? "offline" : "error");
      if (this._wanted) {
        const delay = Math.min(this.options.maxDelay, this.options.initialDelay * 2 ** this._attempt++);
        this._timer = setTimeout(() => this._open(), delay * (0.5 + Math.random() / 2));
      }
    };
  }

  _detach(socket) {
    socket.onopen = socket.onmessage = socket.onclose = null;
  }

  /** The URL plus the recovery request and what to resume. */
  _dialUrl() {
    if (!this.options.recovery) return this.url;
    const url = new URL(this.url, location.href);
    url.searchParams.append("zap_recover", "1");
    if (this._token) {
      url.searchParams.append("zap_session", this._token);
      url.searchParams.append("zap_seq", String(this._seq));
      for (const [room, at] of this._rooms) {
        url.searchParams.append("zap_room", at.epoch + ":" + at.offset + ":" + room);
      }
    }
    return url.toString();
  }

  /** No session from the server (yet): plain v1 writes from now on. */
  _plain() {
    if (!this._gated) return;
    this._emit("session", { id: null, status: "v1", reason: null, gaps: [], directGap: false, undelivered: 0 });
    this._openGate([]);
  }

  _openGate(resend) {
    clearTimeout(this._gateTimer);
    this._gated = false;
    const socket = this._socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      for (const frame of resend) socket.send(frame);
    }
    this._flush();
  }

  // ---- sending ----------------------------------------------------------

  /** Writes held events while online, stamped when the server offers recovery. */
  _flush() {
    const socket = this._socket;
    while (this._outbox.length && socket && socket.readyState === WebSocket.OPEN && !this._gated) {
      if (this._negotiated && this._journal.length >= this.options.maxUnacknowledged) return;
      const event = this._outbox.shift();
      if (this._negotiated) {
        const id = ++this._lastId;
        const headers = { ...(event.headers || {}), "zap-id": id };
        const frame = JSON.stringify({ eventName: event.eventName, payload: event.payload, headers });
        this._journal.push({ id, frame });
        socket.send(frame);
      } else {
        const envelope = { eventName: event.eventName, payload: event.payload };
        if (event.headers !== undefined) envelope.headers = event.headers;
        socket.send(JSON.stringify(envelope));
      }
    }
  }

  _acknowledge(id) {
    while (this._journal.length && this._journal[0].id <= id) this._journal.shift();
  }

  // ---- receiving --------------------------------------------------------

  _receive(data) {
    let event;
    try { event = JSON.parse(data); } catch (e) { this._emit("error", "invalid frame"); return; }
    if (!event || typeof event.eventName !== "string") { this._emit("error", "invalid frame"); return; }
    const name = event.eventName;
    const first = this._awaiting;
    this._awaiting = false;
    if (first && name === "zap.session") { this._begin(event.payload || {}); return; }
    if (first) this._plain();
    if (name.startsWith(RESERVED)) { this._extension(event); return; }
    if (!this._admit(event.headers || {})) return;
    const payload = event.payload === undefined ? null : event.payload;
    for (const fn of this._listeners.event.get(name) || []) this._call(fn, payload, event);
    for (const fn of this._listeners.any) this._call(fn, event);
  }

  _extension(event) {
    const payload = event.payload || {};
    if (event.eventName === "zap.ack") {
      this._acknowledge(Number(payload.id) || 0);
      this._flush();
    }
  }

  /** The server's zap.session: resume or start over, then write. */
  _begin(session) {
    const resuming = this._token !== null;
    const outcome = {
      id: session.id, status: session.status, reason: session.reason || null,
      gaps: session.gaps || [], directGap: !!session.directGap, undelivered: 0,
    };
    let resend = [];
    if (session.status === "new") {
      if (resuming && !outcome.reason) outcome.reason = "unknown";
      outcome.undelivered = this._journal.length;
      if (outcome.undelivered) this._emit("error", outcome.undelivered + " sent events may not have been delivered");
      this._journal = []; this._lastId = 0; this._seq = 0;
    } else {
      this._acknowledge(Number(session.ack) || 0);
      this._lastId = Math.max(this._lastId, Number(session.ack) || 0);
      resend = this._journal.map((entry) => entry.frame);
    }
    this._token = session.token;
    this._negotiated = true;
    this._emit("session", outcome);
    this._openGate(resend);
  }

  /** Records an event's stamps; false for one already received. */
  _admit(headers) {
    const seq = headers["zap-seq"];
    if (seq !== undefined) {
      if (Number(seq) <= this._seq) return false;
      this._seq = Number(seq);
    }
    const room = headers["zap-room"], epoch = headers["zap-epoch"], offset = headers["zap-offset"];
    if (room !== undefined && epoch !== undefined && offset !== undefined) {
      const last = this._rooms.get(String(room));
      if (last && last.epoch === String(epoch) && Number(offset) <= last.offset) return false;
      this._rooms.set(String(room), { epoch: String(epoch), offset: Number(offset) });
    }
    return true;
  }

  // ---- notices ----------------------------------------------------------

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit("state", state);
  }

  _emit(kind, value) {
    for (const fn of this._listeners[kind]) this._call(fn, value);
  }

  /** A listener that throws is logged; the others still run. */
  _call(fn, ...args) {
    try { fn(...args); } catch (error) { console.error(error); }
  }
}
