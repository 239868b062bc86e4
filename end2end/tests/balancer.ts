import net from 'node:net';

/**
 * A small TCP balancer in front of several servers, as a load balancer with health by connect would
 * be: each new connection goes to the preferred upstream, or to the next one that accepts it when
 * that one is down. The test chooses the preferred upstream, so it decides which node a browser's
 * next connection (page load or WebSocket) reaches.
 */
export class Balancer {
  private server: net.Server;
  private sockets = new Map<number, Set<net.Socket>>();
  private preferred = 0;
  port = 0;

  constructor(private upstreams: number[]) {
    for (const u of upstreams) this.sockets.set(u, new Set());
    this.server = net.createServer((client) => this.accept(client));
  }

  private accept(client: net.Socket) {
    client.pause();
    client.on('error', () => client.destroy());
    const order = this.upstreams.map((_, i) => this.upstreams[(this.preferred + i) % this.upstreams.length]);
    const attempt = (i: number) => {
      if (i >= order.length || client.destroyed) {
        client.destroy();
        return;
      }
      const port = order[i];
      const upstream = net.connect(port, '127.0.0.1');
      upstream.once('error', () => {
        upstream.destroy();
        attempt(i + 1);
      });
      upstream.once('connect', () => {
        const open = this.sockets.get(port)!;
        open.add(client);
        client.on('close', () => open.delete(client));
        upstream.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.resume();
      });
    };
    attempt(0);
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** New connections go to `port` first (and to the others only when it refuses). */
  prefer(port: number) {
    this.preferred = this.upstreams.indexOf(port);
  }

  /** Connections open now to `port`. */
  open(port: number): number {
    return this.sockets.get(port)!.size;
  }

  /** Cuts the connections to `port`, as a proxy reloading its upstreams would; the server lives on. */
  cut(port: number) {
    for (const s of this.sockets.get(port)!) s.destroy();
  }

  async stop() {
    for (const port of this.upstreams) this.cut(port);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
