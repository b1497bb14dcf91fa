// Sends `chat.say` with a number where the contract says string: must fail.
import type { TypedZapClient } from "./events";

declare const client: TypedZapClient;

client.send("chat.say", { room: "lobby", text: 42 });
