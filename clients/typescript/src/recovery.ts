// The recovery extension's state, kept across connections: the session
// token, the position in each room and in the direct events (to resume and
// to drop copies), and the sent events the server has not acknowledged.

import {
  EPOCH_HEADER,
  type Headers,
  ID_HEADER,
  OFFSET_HEADER,
  RECOVER_PARAM,
  RESUME_EVENT,
  RESUME_PARAM,
  ROOM_HEADER,
  ROOM_PARAM,
  SEQ_HEADER,
  SEQ_PARAM,
  SESSION_PARAM,
  encode,
  integerHeader,
  stringHeader,
} from "./protocol.js";

/** The last event received in a room. */
export interface RoomPosition {
  epoch: string;
  offset: number;
}

/** A sent event the server has not acknowledged (yet). */
export interface UndeliveredEvent {
  /** Its `zap-id` in the session. */
  id: number;
  eventName: string;
  payload: unknown;
  headers?: Headers;
}

/** What waits on an event's acknowledgement. */
export interface Settle {
  resolve(): void;
  reject(error: Error): void;
}

/** A sent event with its frame, kept until acknowledged. */
export interface Sent extends UndeliveredEvent {
  frame: string;
  settle?: Settle;
}

/** How a connection's session began. */
export interface SessionOutcome {
  /**
   * `new`: a fresh session (nothing was kept, `reason` says why when a
   * resume was asked); `recovered`: every missed event follows;
   * `gaps`: resumed, but events of the rooms in `gaps` (and direct events
   * when `directGap`) were lost; `v1`: the server does not offer recovery.
   */
  status: "new" | "recovered" | "gaps" | "v1";
  /** The connection id the server gave, when it said. */
  id: string | null;
  /** Why a resume asked for got a new session: `unknown` or `expired`. */
  reason: string | null;
  /** Rooms whose missed events are (partly) lost. */
  gaps: string[];
  /** Whether direct events were lost. */
  directGap: boolean;
  /** Whether this connection asked to resume a session. */
  resumed: boolean;
  /**
   * Sent events never acknowledged by a session that is gone: they may or
   * may not have been handled. Empty unless `status` is `new`.
   */
  undelivered: UndeliveredEvent[];
}

/** The parts of the state kept in sessionStorage. */
interface Snapshot {
  token: string;
  resumeFrame: boolean;
  seq: number;
  rooms: [string, RoomPosition][];
  lastId: number;
  journal: UndeliveredEvent[];
}

/** The payload of `zap.session`, checked. */
interface SessionPayload {
  id: string | null;
  token: string;
  status: "new" | "recovered" | "gaps";
  reason: string | null;
  gaps: string[];
  directGap: boolean;
  ack: number;
  resumeFrame: boolean;
}

/** The `zap.session` payload, or `null` when it is not one. */
export function sessionPayload(payload: unknown): SessionPayload | null {
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as { [key: string]: unknown };
  if (typeof p.token !== "string") return null;
  if (p.status !== "new" && p.status !== "recovered" && p.status !== "gaps") return null;
  const ack = integerHeader(p, "ack") ?? 0;
  return {
    id: typeof p.id === "string" ? p.id : null,
    token: p.token,
    status: p.status,
    reason: typeof p.reason === "string" ? p.reason : null,
    gaps: Array.isArray(p.gaps) ? p.gaps.filter((room): room is string => typeof room === "string") : [],
    directGap: p.directGap === true,
    ack,
    resumeFrame: p.resumeFrame === true,
  };
}

function strip(sent: Sent): UndeliveredEvent {
  const event: UndeliveredEvent = { id: sent.id, eventName: sent.eventName, payload: sent.payload };
  if (sent.headers !== undefined) event.headers = sent.headers;
  return event;
}

/** The client's side of the session. */
export class Recovery {
  /** The session's token, from the last `zap.session`. */
  token: string | null = null;
  /** Whether the session's server accepts the resume in the first frame. */
  resumeFrame = false;
  /** The highest `zap-seq` received. */
  seq = 0;
  /** The last `(epoch, offset)` received, per room. */
  readonly rooms = new Map<string, RoomPosition>();
  /** The last `zap-id` given. */
  lastId = 0;
  /** Sent, not acknowledged, in id order. */
  journal: Sent[] = [];

  /**
   * The query parameters of the upgrade URL (without a leading `?`):
   * `zap_recover=1`, then what to resume, in the URL or (with `inFrame`
   * and a server that accepts it) announced for the first frame.
   */
  query(inFrame: boolean): string {
    const params = [`${RECOVER_PARAM}=1`];
    if (this.token === null) return params.join("&");
    if (inFrame && this.resumeFrame) {
      params.push(`${RESUME_PARAM}=frame`);
      return params.join("&");
    }
    params.push(`${SESSION_PARAM}=${encodeURIComponent(this.token)}`);
    params.push(`${SEQ_PARAM}=${this.seq}`);
    for (const [room, at] of this.rooms) {
      params.push(`${ROOM_PARAM}=${encodeURIComponent(`${at.epoch}:${at.offset}:${room}`)}`);
    }
    return params.join("&");
  }

  /** Whether the next connection resumes in its first frame. */
  resumesInFrame(inFrame: boolean): boolean {
    return inFrame && this.resumeFrame && this.token !== null;
  }

  /** The `zap.resume` frame. */
  resumeFrameText(): string {
    const rooms = [...this.rooms].map(([room, at]) => ({ room, epoch: at.epoch, offset: at.offset }));
    return encode(RESUME_EVENT, { token: this.token, seq: this.seq, rooms });
  }

  /** Records an event's stamps; `false` for a copy already received. */
  admit(headers: Headers): boolean {
    const seq = integerHeader(headers, SEQ_HEADER);
    const room = stringHeader(headers, ROOM_HEADER);
    const epoch = stringHeader(headers, EPOCH_HEADER);
    const offset = integerHeader(headers, OFFSET_HEADER);
    if (seq !== undefined) {
      if (seq <= this.seq) return false;
      this.seq = seq;
    }
    if (room !== undefined && epoch !== undefined && offset !== undefined) {
      const last = this.rooms.get(room);
      if (last && last.epoch === epoch && offset <= last.offset) return false;
      this.rooms.set(room, { epoch, offset });
    }
    return true;
  }

  /**
   * A `zap.session` arrived: returns the outcome, the events to resend
   * (in order) and those no session will acknowledge.
   */
  begin(session: SessionPayload, resumed: boolean): { outcome: SessionOutcome; resend: Sent[]; lost: Sent[] } {
    const outcome: SessionOutcome = {
      status: session.status,
      id: session.id,
      reason: session.reason,
      gaps: session.gaps,
      directGap: session.directGap,
      resumed,
      undelivered: [],
    };
    let resend: Sent[] = [];
    let lost: Sent[] = [];
    if (session.status === "new") {
      if (resumed && outcome.reason === null) outcome.reason = "unknown";
      lost = this.journal;
      outcome.undelivered = lost.map(strip);
      this.journal = [];
      this.lastId = 0;
      this.seq = 0;
      this.rooms.clear();
    } else {
      this.acknowledge(session.ack);
      this.lastId = Math.max(this.lastId, session.ack);
      resend = this.journal;
      // After a gap the server replays what its history holds for those
      // rooms, from a position that may not follow ours: adopt it.
      for (const room of session.gaps) this.rooms.delete(room);
    }
    this.token = session.token;
    this.resumeFrame = session.resumeFrame;
    return { outcome, resend, lost };
  }

  /** Gives the next id to an event and keeps it until acknowledged. */
  stamp(eventName: string, payload: unknown, headers: Headers | undefined, settle?: Settle): Sent {
    const id = ++this.lastId;
    const frame = encode(eventName, payload, { ...(headers ?? {}), [ID_HEADER]: id });
    const sent: Sent = { id, eventName, payload, frame };
    if (headers !== undefined) sent.headers = headers;
    if (settle) sent.settle = settle;
    this.journal.push(sent);
    return sent;
  }

  /** The server handled every id up to `id`: those leave the journal and are settled. */
  acknowledge(id: number): void {
    let count = 0;
    while (count < this.journal.length && this.journal[count].id <= id) count++;
    if (count === 0) return;
    const done = this.journal.splice(0, count);
    for (const sent of done) sent.settle?.resolve();
  }

  /** The unacknowledged events from `id` on, in order. */
  from(id: number): Sent[] {
    return this.journal.filter((sent) => sent.id >= id);
  }

  /** Forgets the session; returns the events never acknowledged. */
  end(): Sent[] {
    const lost = this.journal;
    this.token = null;
    this.resumeFrame = false;
    this.seq = 0;
    this.rooms.clear();
    this.lastId = 0;
    this.journal = [];
    return lost;
  }

  /** The state to keep across a page reload, as JSON; `null` without a session. */
  save(): string | null {
    if (this.token === null) return null;
    const snapshot: Snapshot = {
      token: this.token,
      resumeFrame: this.resumeFrame,
      seq: this.seq,
      rooms: [...this.rooms],
      lastId: this.lastId,
      journal: this.journal.map(strip),
    };
    return JSON.stringify(snapshot);
  }

  /** Takes back what [`save`] kept; `false` (and nothing changed) when `text` is not such a state. */
  load(text: string): boolean {
    let snapshot: Snapshot;
    try {
      snapshot = JSON.parse(text) as Snapshot;
    } catch {
      return false;
    }
    if (
      typeof snapshot !== "object" ||
      snapshot === null ||
      typeof snapshot.token !== "string" ||
      !Number.isSafeInteger(snapshot.seq) ||
      !Number.isSafeInteger(snapshot.lastId) ||
      !Array.isArray(snapshot.rooms) ||
      !Array.isArray(snapshot.journal)
    ) {
      return false;
    }
    this.token = snapshot.token;
    this.resumeFrame = snapshot.resumeFrame === true;
    this.seq = snapshot.seq;
    this.rooms.clear();
    for (const [room, at] of snapshot.rooms) this.rooms.set(room, { epoch: at.epoch, offset: at.offset });
    this.lastId = snapshot.lastId;
    this.journal = snapshot.journal.map((event) => ({
      ...event,
      frame: encode(event.eventName, event.payload, { ...(event.headers ?? {}), [ID_HEADER]: event.id }),
    }));
    return true;
  }
}
