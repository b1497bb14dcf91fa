// The shape of a contract, as zap-contract generates it (`Contract` in
// `events.d.ts`), and the types the client derives from it.
export {};
