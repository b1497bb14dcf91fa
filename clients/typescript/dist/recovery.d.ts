import { type Headers } from "./protocol.js";
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
export declare function sessionPayload(payload: unknown): SessionPayload | null;
/** The client's side of the session. */
export declare class Recovery {
    /** The session's token, from the last `zap.session`. */
    token: string | null;
    /** Whether the session's server accepts the resume in the first frame. */
    resumeFrame: boolean;
    /** The highest `zap-seq` received. */
    seq: number;
    /** The last `(epoch, offset)` received, per room. */
    readonly rooms: Map<string, RoomPosition>;
    /** The last `zap-id` given. */
    lastId: number;
    /** Sent, not acknowledged, in id order. */
    journal: Sent[];
    /**
     * The query parameters of the upgrade URL (without a leading `?`):
     * `zap_recover=1`, then what to resume, in the URL or (with `inFrame`
     * and a server that accepts it) announced for the first frame.
     */
    query(inFrame: boolean): string;
    /** Whether the next connection resumes in its first frame. */
    resumesInFrame(inFrame: boolean): boolean;
    /** The `zap.resume` frame. */
    resumeFrameText(): string;
    /** Records an event's stamps; `false` for a copy already received. */
    admit(headers: Headers): boolean;
    /**
     * A `zap.session` arrived: returns the outcome, the events to resend
     * (in order) and those no session will acknowledge.
     */
    begin(session: SessionPayload, resumed: boolean): {
        outcome: SessionOutcome;
        resend: Sent[];
        lost: Sent[];
    };
    /** Gives the next id to an event and keeps it until acknowledged. */
    stamp(eventName: string, payload: unknown, headers: Headers | undefined, settle?: Settle): Sent;
    /** The server handled every id up to `id`: those leave the journal and are settled. */
    acknowledge(id: number): void;
    /** The unacknowledged events from `id` on, in order. */
    from(id: number): Sent[];
    /** Forgets the session; returns the events never acknowledged. */
    end(): Sent[];
    /** The state to keep across a page reload, as JSON; `null` without a session. */
    save(): string | null;
    /** Takes back what [`save`] kept; `false` (and nothing changed) when `text` is not such a state. */
    load(text: string): boolean;
}
export {};
