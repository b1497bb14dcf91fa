// The zaptools wire protocol (docs/protocol.md): the envelope of one event
// per text frame, and the names the extensions reserve.
/** Events reserved by the extensions: never handed to the application. */
export const SESSION_EVENT = "zap.session";
export const ACK_EVENT = "zap.ack";
export const NACK_EVENT = "zap.nack";
export const RESUME_EVENT = "zap.resume";
/** Headers of the extensions. */
export const REQUEST_ID_HEADER = "zap-request-id";
export const RESPONSE_TO_HEADER = "zap-response-to";
export const ERROR_HEADER = "zap-error";
export const ID_HEADER = "zap-id";
export const SEQ_HEADER = "zap-seq";
export const ROOM_HEADER = "zap-room";
export const EPOCH_HEADER = "zap-epoch";
export const OFFSET_HEADER = "zap-offset";
/** Query parameters of the upgrade URL. */
export const RECOVER_PARAM = "zap_recover";
export const RESUME_PARAM = "zap_resume";
export const SESSION_PARAM = "zap_session";
export const SEQ_PARAM = "zap_seq";
export const ROOM_PARAM = "zap_room";
/** Whether `name` is an event reserved for the extensions (`zap.*`). */
export function isReservedEvent(name) {
    return name.startsWith("zap.");
}
/**
 * One frame as text: `headers` is left out when `headers` is undefined, as
 * v1 senders do.
 */
export function encode(eventName, payload, headers) {
    const envelope = {
        eventName,
        payload: payload === undefined ? null : payload,
    };
    if (headers !== undefined)
        envelope.headers = headers;
    return JSON.stringify(envelope);
}
/**
 * The event in a text frame, or a sentence saying why it is not one
 * (`eventName` missing or not a string, not JSON). A missing payload is
 * `null`; missing, `null` or non-object headers are an empty map.
 */
export function decode(text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        return "the frame is not JSON";
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return "the frame is not a JSON object";
    }
    const object = value;
    if (typeof object.eventName !== "string")
        return "the frame has no string eventName";
    const headers = typeof object.headers === "object" && object.headers !== null && !Array.isArray(object.headers)
        ? object.headers
        : {};
    return {
        eventName: object.eventName,
        payload: object.payload === undefined ? null : object.payload,
        headers,
    };
}
/** A header holding a non-negative integer (a number or its decimal text), else `undefined`. */
export function integerHeader(headers, name) {
    const value = headers[name];
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    return typeof number === "number" && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}
/** A header holding a string (numbers are turned into their text), else `undefined`. */
export function stringHeader(headers, name) {
    const value = headers[name];
    if (typeof value === "string")
        return value;
    if (typeof value === "number")
        return String(value);
    return undefined;
}
