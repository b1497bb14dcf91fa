// Without a contract every name and payload is accepted, and payloads are
// `unknown` until checked.

import { createClient } from "zaptools";

const client = createClient("ws://127.0.0.1:8000/ws");
client.send("anything", { at: "all" });
client.on("whatever", (payload) => {
  // @ts-expect-error: an unknown payload must be checked before use
  console.log(payload.field);
});
async function ask(): Promise<unknown> {
  return client.request("question", 42);
}
export { ask };
