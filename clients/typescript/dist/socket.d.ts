/** A message event of a WebSocket. */
export interface SocketMessage {
    data: unknown;
}
/** A close event of a WebSocket. */
export interface SocketClose {
    code: number;
    reason: string;
    wasClean: boolean;
}
/** The part of a WebSocket the client uses. */
export interface SocketLike {
    readonly readyState: number;
    onopen: ((event: unknown) => void) | null;
    onmessage: ((event: SocketMessage) => void) | null;
    onclose: ((event: SocketClose) => void) | null;
    onerror: ((event: unknown) => void) | null;
    send(data: string): void;
    close(code?: number, reason?: string): void;
}
/** A WebSocket constructor: `WebSocket` in browsers and Node 22, `WebSocket` of `ws`. */
export type SocketFactory = new (url: string) => SocketLike;
/** `readyState` of an open socket. */
export declare const OPEN = 1;
/** The global `WebSocket`, when there is one. */
export declare function globalSocket(): SocketFactory | undefined;
