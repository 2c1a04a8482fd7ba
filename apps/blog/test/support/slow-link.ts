import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a local server (the GCS stand-in): the network between a
 * Cloud Run instance and its bucket, made slower on demand. Point STORAGE_EMULATOR_HOST at `host`.
 * - `uploadBytesPerSecond`: what the instance sends is read at most this fast (a snapshot upload
 *   that takes seconds, and that a frozen sender cannot push further than its socket buffer);
 * - `responseDelayMs`: every byte the server answers reaches the client this much later.
 * Both apply to data relayed after they are set; 0 turns them off.
 */
export interface SlowLink {
  host: string;
  uploadBytesPerSecond: number;
  responseDelayMs: number;
  /** Bytes relayed from clients to the server since the start. */
  uploaded: () => number;
  stop(): Promise<void>;
}

export async function startSlowLink(target: { port: number }): Promise<SlowLink> {
  const sockets = new Set<Socket>();
  let uploaded = 0;
  const link: SlowLink = {
    host: '',
    uploadBytesPerSecond: 0,
    responseDelayMs: 0,
    uploaded: () => uploaded,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((client) => {
    const upstream = connect(target.port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      uploaded += chunk.length;
      upstream.write(chunk);
      if (link.uploadBytesPerSecond > 0) {
        client.pause();
        setTimeout(() => client.resume(), (chunk.length / link.uploadBytesPerSecond) * 1000);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      // Timers of equal delay fire in order, so the answer stays in order.
      if (link.responseDelayMs > 0) setTimeout(() => client.write(chunk), link.responseDelayMs);
      else client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => setTimeout(() => client.end(), link.responseDelayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  link.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return link;
}
