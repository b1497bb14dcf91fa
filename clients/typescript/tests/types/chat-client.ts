// The chat's page as TypeScript, on the chat's generated contract
// (examples/chat/contract/events.d.ts, copied next to this file as
// events.d.ts by types.test.mjs): what the contract allows compiles, every
// `@ts-expect-error` line must stay an error.

import WebSocket from "ws";
import { createClient, type SessionOutcome, type ZapClient, type ZapEvent } from "zaptools";

import type { Contract, Joined, Said, TypedZapClient } from "./events";

const client = createClient<Contract>("ws://127.0.0.1:8000/ws", { WebSocket, persist: false });

client.send("join", { room: "lobby", name: "ada" });
client.send("message", { text: "hello" });
client.send("leave", null);
const confirmed: Promise<void> = client.sendConfirmed("message", { text: "sure" });
client.on("joined", (joined: Joined) => console.log(joined.room, joined.members.length));
client.on("message", (said, event: ZapEvent<"message", Said>) => console.log(said.name, said.text, event.headers));
client.on("caught-up", (caughtUp) => caughtUp.members.join(", "));
client.onAny((event) => console.log(event.eventName));
client.onSession((outcome: SessionOutcome) => outcome.gaps.length + outcome.undelivered.length);
client.off("joined");

// The package's client is the contract's typed client.
const typed: TypedZapClient = client;
typed.send("join", { room: "r", name: "n" });
const same: ZapClient<Contract> = client;

// @ts-expect-error: the room is a string, not a number
client.send("join", { room: 7 });
// @ts-expect-error: `name` is missing
client.send("join", { room: "lobby" });
// @ts-expect-error: not an event the page sends
client.send("joined", { room: "lobby", members: [] });
// @ts-expect-error: not an event the server sends
client.on("join", () => {});
client.on("message", (said) => {
  // @ts-expect-error: the server's `message` has no `members`
  console.log(said.members);
});
// @ts-expect-error: the chat declares no requests
void client.request("join", { room: "lobby", name: "ada" });

export { confirmed, same };
