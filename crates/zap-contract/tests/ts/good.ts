// Uses the typed client as the contract allows: must type-check.
import type { TypedZapClient, ClientEvents, ServerEvents, Said } from "./events";

declare const client: TypedZapClient;

client.send("chat.say", { room: "lobby", text: "hi", to: null });
client.send("chat.say", { room: "lobby", text: "hi" });
client.on("chat.said", (said: Said) => {
  const mood: "happy" | "grumpy" = said.mood;
  console.log(said.from, said.text, mood);
});

async function lastMessages(): Promise<number> {
  const history = await client.request("chat.history", { room: "lobby", limit: 10 });
  return history.messages.length;
}

const say: ClientEvents["chat.say"] = { room: "r", text: "t" };
const said: ServerEvents["chat.said"] = { room: "r", from: "ada", text: "t", mood: "happy" };
export { lastMessages, say, said };
