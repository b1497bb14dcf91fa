/**
 * A server's contract: the events the client sends, those the server
 * sends, and the requests with their responses. zap-contract generates one
 * (`export interface Contract` in `events.d.ts`) from the server's own
 * handlers.
 */
export interface ContractShape {
    clientEvents: object;
    serverEvents: object;
    requests: object;
}
/** No contract: any event name, any payload. */
export interface AnyContract {
    clientEvents: {
        [eventName: string]: unknown;
    };
    serverEvents: {
        [eventName: string]: unknown;
    };
    requests: {
        [eventName: string]: {
            request: unknown;
            response: unknown;
        };
    };
}
/** The names of the events the client sends. */
export type ClientEventName<C extends ContractShape> = keyof C["clientEvents"] & string;
/** The payload of the client event `K`. */
export type ClientPayload<C extends ContractShape, K extends keyof C["clientEvents"]> = C["clientEvents"][K];
/** The names of the events the server sends. */
export type ServerEventName<C extends ContractShape> = keyof C["serverEvents"] & string;
/** The payload of the server event `K`. */
export type ServerPayload<C extends ContractShape, K extends keyof C["serverEvents"]> = C["serverEvents"][K];
/** The names of the requests. */
export type RequestName<C extends ContractShape> = keyof C["requests"] & string;
/** What request `K` sends. */
export type RequestPayload<C extends ContractShape, K extends keyof C["requests"]> = C["requests"][K]["request" & keyof C["requests"][K]];
/** What request `K` is answered with. */
export type ResponsePayload<C extends ContractShape, K extends keyof C["requests"]> = C["requests"][K]["response" & keyof C["requests"][K]];
