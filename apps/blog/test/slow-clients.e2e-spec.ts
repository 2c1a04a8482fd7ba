import { connect, type Socket } from 'node:net';

import { SERVER_TIMEOUTS } from '../src/common/server-timeouts.js';
import { freePort } from './support/process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

interface Outcome {
  /** Milliseconds from connect until the server closed the socket. */
  closedAfterMs: number;
  /** What the server sent before closing, if anything. */
  reply: string;
}

/** Opens a raw socket and resolves when the server closes it (or the watchdog gives up). */
function watch(port: number, onConnect: (socket: Socket) => void, watchdogMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    let reply = '';
    const socket = connect(port, '127.0.0.1', () => onConnect(socket));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (reply += d));
    socket.on('error', () => {}); // a reset is a close too
    const watchdog = setTimeout(() => socket.destroy(), watchdogMs);
    socket.on('close', () => {
      clearTimeout(watchdog);
      resolve({ closedAfterMs: Date.now() - started, reply });
    });
  });
}

describe('slow clients (slowloris) are cut off by the server timeouts', () => {
  let t: TestApp;
  let port: number;
  // The bound the server promises: its timeout plus one checking interval, plus slack for a busy CI box.
  const headersBound = SERVER_TIMEOUTS.headersMs + SERVER_TIMEOUTS.checkEveryMs + 2_000;
  const watchdog = headersBound + 10_000;

  beforeAll(async () => {
    t = await startTestApp();
    port = await freePort();
    // The same server object createApp configured: main.ts listens on it exactly like this.
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(() => t.close());

  it('closes connections that send headers byte by byte or idle, while still serving everyone else', async () => {
    const request = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nX-Padding: ' + 'a'.repeat(500) + '\r\n';
    const timers: NodeJS.Timeout[] = [];
    const trickle = (socket: Socket) => {
      let i = 0;
      timers.push(
        setInterval(() => {
          if (!socket.destroyed && socket.writable) socket.write(request[i++ % request.length]);
        }, 100),
      );
    };
    const silent = () => {};
    const partialLine = (socket: Socket) => socket.write('GET / HT');
    try {
      // Runs alongside: an idle keep-alive connection goes after the (shorter) keep-alive timeout.
      const idle = watch(port, (s) => s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), watchdog);
      const slow = [
        ...Array.from({ length: 30 }, () => watch(port, trickle, watchdog)),
        ...Array.from({ length: 10 }, () => watch(port, partialLine, watchdog)),
        ...Array.from({ length: 10 }, () => watch(port, silent, watchdog)),
      ];
      // Meanwhile a normal reader is served promptly.
      await new Promise((r) => setTimeout(r, 1_000));
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2_000);

      const kept = await idle;
      expect(kept.reply).toMatch(/^HTTP\/1\.1 200/);
      expect(kept.reply).toMatch(/Keep-Alive: timeout=5/i);
      expect(kept.closedAfterMs).toBeLessThanOrEqual(SERVER_TIMEOUTS.keepAliveMs + 2_000);

      const outcomes = await Promise.all(slow);
      for (const { closedAfterMs, reply } of outcomes) {
        expect(closedAfterMs).toBeLessThanOrEqual(headersBound);
        // Not cut by something else early: the server waited for its headers timeout.
        expect(closedAfterMs).toBeGreaterThanOrEqual(SERVER_TIMEOUTS.headersMs - 500);
        // Either silence or a 408; never a page rendered from half a request.
        expect(reply === '' || reply.startsWith('HTTP/1.1 408')).toBe(true);
      }
    } finally {
      timers.forEach(clearInterval);
    }
  }, 40_000);
});
