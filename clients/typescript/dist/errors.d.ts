/** What went wrong, as a string to switch on. */
export type ZapErrorKind = "timeout" | "disconnected" | "remote" | "outbox_full" | "not_delivered" | "invalid_frame" | "listener" | "connection" | "gave_up";
/** Every error of this package. */
export declare class ZapError extends Error {
    /** What went wrong. */
    readonly kind: ZapErrorKind;
    constructor(kind: ZapErrorKind, message: string);
}
/** A request got no reply in time. */
export declare class RequestTimeoutError extends ZapError {
    /** The request's event name. */
    readonly eventName: string;
    /** How long it waited, in milliseconds. */
    readonly timeout: number;
    constructor(eventName: string, timeout: number);
}
/** The connection ended (or `disconnect()` was called) before the reply came. */
export declare class DisconnectedError extends ZapError {
    constructor(message: string);
}
/**
 * The server could not handle the request and said so with an error reply
 * (`zap-error`): `code` is its kind (`invalid_payload`, `handler`, `panic`,
 * `no_handler`, `rate_limited`, or another a newer server sends).
 */
export declare class RemoteError extends ZapError {
    /** The request's event name. */
    readonly eventName: string;
    /** The server's kind of failure. */
    readonly code: string;
    /** The server's explanation. */
    readonly detail: string;
    constructor(eventName: string, code: string, detail: string);
}
/** The outbox is full: the event was not queued. */
export declare class OutboxFullError extends ZapError {
    constructor(eventName: string, capacity: number);
}
/**
 * Events sent but never acknowledged before the session expired: the
 * server may or may not have handled them.
 */
export declare class NotDeliveredError extends ZapError {
    constructor(message: string);
}
