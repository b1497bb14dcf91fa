// The errors of the client: every one is a ZapError with a `kind`, so code
// can switch on it; requests reject with them, `onError` listeners get them.

/** What went wrong, as a string to switch on. */
export type ZapErrorKind =
  | "timeout"
  | "disconnected"
  | "remote"
  | "outbox_full"
  | "not_delivered"
  | "invalid_frame"
  | "listener"
  | "connection"
  | "gave_up";

/** Every error of this package. */
export class ZapError extends Error {
  /** What went wrong. */
  readonly kind: ZapErrorKind;

  constructor(kind: ZapErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = "ZapError";
  }
}

/** A request got no reply in time. */
export class RequestTimeoutError extends ZapError {
  /** The request's event name. */
  readonly eventName: string;
  /** How long it waited, in milliseconds. */
  readonly timeout: number;

  constructor(eventName: string, timeout: number) {
    super("timeout", `no reply to '${eventName}' within ${timeout} ms`);
    this.name = "RequestTimeoutError";
    this.eventName = eventName;
    this.timeout = timeout;
  }
}

/** The connection ended (or `disconnect()` was called) before the reply came. */
export class DisconnectedError extends ZapError {
  constructor(message: string) {
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
  /** The request's event name. */
  readonly eventName: string;
  /** The server's kind of failure. */
  readonly code: string;
  /** The server's explanation. */
  readonly detail: string;

  constructor(eventName: string, code: string, detail: string) {
    super("remote", `the server could not handle '${eventName}' (${code}): ${detail}`);
    this.name = "RemoteError";
    this.eventName = eventName;
    this.code = code;
    this.detail = detail;
  }
}

/** The outbox is full: the event was not queued. */
export class OutboxFullError extends ZapError {
  constructor(eventName: string, capacity: number) {
    super("outbox_full", `outbox full (${capacity} events): '${eventName}' not sent`);
    this.name = "OutboxFullError";
  }
}

/**
 * Events sent but never acknowledged before the session expired: the
 * server may or may not have handled them.
 */
export class NotDeliveredError extends ZapError {
  constructor(message: string) {
    super("not_delivered", message);
    this.name = "NotDeliveredError";
  }
}
