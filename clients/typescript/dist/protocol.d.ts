/** Headers of an event: a JSON object. */
export type Headers = {
    [name: string]: unknown;
};
/** One event as it travels in a WebSocket text frame. */
export interface ZapEvent<N extends string = string, P = unknown> {
    /** The event's name. */
    eventName: N;
    /** Its payload (`null` when the sender gave none). */
    payload: P;
    /** Its headers (empty when the sender gave none). */
    headers: Headers;
}
/** Events reserved by the extensions: never handed to the application. */
export declare const SESSION_EVENT = "zap.session";
export declare const ACK_EVENT = "zap.ack";
export declare const NACK_EVENT = "zap.nack";
export declare const RESUME_EVENT = "zap.resume";
/** Headers of the extensions. */
export declare const REQUEST_ID_HEADER = "zap-request-id";
export declare const RESPONSE_TO_HEADER = "zap-response-to";
export declare const ERROR_HEADER = "zap-error";
export declare const ID_HEADER = "zap-id";
export declare const SEQ_HEADER = "zap-seq";
export declare const ROOM_HEADER = "zap-room";
export declare const EPOCH_HEADER = "zap-epoch";
export declare const OFFSET_HEADER = "zap-offset";
/** Query parameters of the upgrade URL. */
export declare const RECOVER_PARAM = "zap_recover";
export declare const RESUME_PARAM = "zap_resume";
export declare const SESSION_PARAM = "zap_session";
export declare const SEQ_PARAM = "zap_seq";
export declare const ROOM_PARAM = "zap_room";
/** Whether `name` is an event reserved for the extensions (`zap.*`). */
export declare function isReservedEvent(name: string): boolean;
/**
 * One frame as text: `headers` is left out when `headers` is undefined, as
 * v1 senders do.
 */
export declare function encode(eventName: string, payload: unknown, headers?: Headers): string;
/**
 * The event in a text frame, or a sentence saying why it is not one
 * (`eventName` missing or not a string, not JSON). A missing payload is
 * `null`; missing, `null` or non-object headers are an empty map.
 */
export declare function decode(text: string): ZapEvent | string;
/** A header holding a non-negative integer (a number or its decimal text), else `undefined`. */
export declare function integerHeader(headers: Headers, name: string): number | undefined;
/** A header holding a string (numbers are turned into their text), else `undefined`. */
export declare function stringHeader(headers: Headers, name: string): string | undefined;
