// The errors of the client: every one is a ZapError with a `kind`, so code
// can switch on it; requests reject with them, `onError` listeners get them.
/** Every error of this package. */
export class ZapError extends Error {
    constructor(kind, message) {
        super(message);
        this.kind = kind;
        this.name = "ZapError";
    }
}
/** A request got no reply in time. */
export class RequestTimeoutError extends ZapError {
    constructor(eventName, timeout) {
        super("timeout", `no reply to '${eventName}' within ${timeout} ms`);
        this.name = "RequestTimeoutError";
        this.eventName = eventName;
        this.timeout = timeout;
    }
}
/** The connection ended (or `disconnect()` was called) before the reply came. */
export class DisconnectedError extends ZapError {
    constructor(message) {
        super("disconnected", message);
        this.name = "DisconnectedError";
    }
}
/**
 * The server could not handle the request and said so with an error reply
 * (`zap-error`): `code` is its kind (`invalid_payload`, `handler`, `panic`,
 * `no_handler`, `rate_limited`, or another a newer server sends).
 */
export class RemoteError extends ZapError {
    constructor(eventName, code, detail) {
        super("remote", `the server could not handle '${eventName}' (${code}): ${detail}`);
        this.name = "RemoteError";
        this.eventName = eventName;
        this.code = code;
        this.detail = detail;
    }
}
/** The outbox is full: the event was not queued. */
export class OutboxFullError extends ZapError {
    constructor(eventName, capacity) {
        super("outbox_full", `outbox full (${capacity} events): '${eventName}' not sent`);
        this.name = "OutboxFullError";
    }
}
/**
 * Events sent but never acknowledged before the session expired: the
 * server may or may not have handled them.
 */
export class NotDeliveredError extends ZapError {
    constructor(message) {
        super("not_delivered", message);
        this.name = "NotDeliveredError";
    }
}
