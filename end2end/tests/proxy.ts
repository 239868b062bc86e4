import net from 'node:net';

/**
 * A TCP proxy in front of the server, so a test can cut every connection (as a network drop would)
 * while the server keeps running.
 */
export class DropProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;
  /** While set, new connections are cut at once, as a server that is down would. */
  refuse = false;

  constructor(private target: number) {
    this.server = net.createServer((client) => {
      if (this.refuse) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Cuts every open connection, as a network failure would. */
  dropAll() {
    for (const s of this.sockets) s.destroy();
  }

  async stop() {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
