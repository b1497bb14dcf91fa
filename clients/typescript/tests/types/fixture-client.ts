// zap-contract's test fixture (crates/zap-contract/tests/golden/events.d.ts,
// copied next to this file as events.d.ts): requests and their responses
// are typed; every `@ts-expect-error` line must stay an error.

import { createClient, RemoteError, RequestTimeoutError } from "zaptools";

import type { Contract, History, Mood, TypedZapClient } from "./events";

const client = createClient<Contract>("ws://127.0.0.1:8000/ws");

async function lastMessages(): Promise<number> {
  const history: History = await client.request("chat.history", { room: "lobby", limit: 10 }, { timeout: 500 });
  const mood: Mood | undefined = history.messages[0]?.mood;
  return history.messages.length + (mood === "happy" ? 1 : 0);
}

async function failures(): Promise<string> {
  try {
    await client.request("chat.history", { room: "lobby", limit: 1 });
    return "ok";
  } catch (error) {
    if (error instanceof RemoteError) return error.code + error.detail;
    if (error instanceof RequestTimeoutError) return String(error.timeout);
    return "other";
  }
}

client.send("chat.say", { room: "lobby", text: "hi", to: null });
// The package's client is the contract's typed client, requests included.
const typed: TypedZapClient = client;
void typed.request("chat.history", { room: "lobby", limit: 1 }).then((history) => history.messages);
client.on("chat.said", (said) => {
  const mood: Mood = said.mood;
  return mood;
});

// @ts-expect-error: `limit` is a number
void client.request("chat.history", { room: "lobby", limit: "10" });
async function wrongResponse(): Promise<string> {
  // @ts-expect-error: the response is a History, not a string
  const text: string = await client.request("chat.history", { room: "lobby", limit: 1 });
  return text;
}
// @ts-expect-error: chat.say is an event, not a request
void client.request("chat.say", { room: "lobby", text: "hi" });
// @ts-expect-error: the mood is "happy" or "grumpy"
client.on("chat.said", (said) => said.mood === "sad");

export { failures, lastMessages, wrongResponse };
