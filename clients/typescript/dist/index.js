// zaptools for browsers and Node: the zaptools protocol (docs/protocol.md)
// with reconnection, session recovery, at-least-once sends and requests,
// typed by the contract zap-contract generates from the server's handlers.
export { createClient, ZapClient } from "./client.js";
export { alwaysUp, detectEnvironment } from "./environment.js";
export { DisconnectedError, NotDeliveredError, OutboxFullError, RemoteError, RequestTimeoutError, ZapError, } from "./errors.js";
