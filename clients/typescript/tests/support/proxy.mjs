// A TCP proxy in front of a server, so a test can cut every link through it
// (both sockets reset, no close handshake, like a network failure) and keep
// new connections refused until it restores them.

import net from "node:net";

export class Proxy {
  /** Listens on 127.0.0.1:0 and forwards to `port`. */
  static start(port) {
    return new Promise((resolve, reject) => {
      const proxy = new Proxy(port);
      proxy.server.once("error", reject);
      proxy.server.listen(0, "127.0.0.1", () => resolve(proxy));
    });
  }

  constructor(port) {
    this.target = port;
    this.up = true;
    this.sockets = new Set();
    this.connections = 0;
    /** The request line (`GET /ws?… HTTP/1.1`) of every connection let through. */
    this.requests = [];
    this.server = net.createServer((client) => this.accept(client));
  }

  /** The proxy's port. */
  get port() {
    return this.server.address().port;
  }

  /** `ws://` URL of the proxied server's WebSocket path. */
  url(path = "/ws") {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  accept(client) {
    if (!this.up) {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.target, "127.0.0.1");
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.once("data", (chunk) => this.requests.push(String(chunk).split("\r\n", 1)[0]));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Resets every connection through the proxy and refuses new ones. */
  cut() {
    this.up = false;
    for (const socket of this.sockets) {
      // A reset after a shutdown (the other side ended first) makes libuv spin: destroy those.
      if (socket.connecting || socket.destroyed || socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    this.sockets.clear();
  }

  /** Lets new connections through again. */
  restore() {
    this.up = true;
  }

  /** Stops listening and drops everything. */
  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
