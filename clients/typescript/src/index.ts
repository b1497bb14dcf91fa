// zaptools for browsers and Node: the zaptools protocol (docs/protocol.md)
// with reconnection, session recovery, at-least-once sends and requests,
// typed by the contract zap-contract generates from the server's handlers.

export { createClient, ZapClient } from "./client.js";
export type { ClientOptions, ConnectionState, RequestOptions } from "./client.js";
export type { ReconnectOptions } from "./backoff.js";
export type {
  AnyContract,
  ClientEventName,
  ClientPayload,
  ContractShape,
  RequestName,
  RequestPayload,
  ResponsePayload,
  ServerEventName,
  ServerPayload,
} from "./contract.js";
export { alwaysUp, detectEnvironment } from "./environment.js";
export type { Environment } from "./environment.js";
export {
  DisconnectedError,
  NotDeliveredError,
  OutboxFullError,
  RemoteError,
  RequestTimeoutError,
  ZapError,
} from "./errors.js";
export type { ZapErrorKind } from "./errors.js";
export type { PersistOption, StorageLike } from "./persist.js";
export type { Headers, ZapEvent } from "./protocol.js";
export type { SessionOutcome, UndeliveredEvent } from "./recovery.js";
export type { SocketClose, SocketFactory, SocketLike, SocketMessage } from "./socket.js";
