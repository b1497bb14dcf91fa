// The one global the type tests' files use, declared here so that they
// compile without the DOM library or Node's types.
declare const console: { log(...values: unknown[]): void };
