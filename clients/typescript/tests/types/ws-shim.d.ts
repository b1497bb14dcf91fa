// The `ws` package's WebSocket as the type tests see it: a constructor
// taking a URL (its real declarations need Node's types).
import type { SocketFactory } from "zaptools";
declare const WebSocket: SocketFactory;
export default WebSocket;
