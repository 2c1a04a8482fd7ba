import { PassThrough, Writable } from 'node:stream';

import { failWhenStalled } from './stall-timeout.js';

const closed = (s: PassThrough) =>
  new Promise<Error | undefined>((resolve) => {
    s.on('error', () => undefined);
    s.on('close', () => resolve(s.errored ?? undefined));
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('failWhenStalled', () => {
  it('destroys a flowing stream that stops giving bytes, with an error saying so', async () => {
    const source = failWhenStalled(new PassThrough(), 100);
    source.resume();
    source.write('a');
    const error = await closed(source);
    expect(error?.message).toBe('no bytes from the store for 100 ms');
  });

  it('leaves a stream alone while bytes keep coming, and after it ended', async () => {
    const source = failWhenStalled(new PassThrough(), 100);
    source.resume();
    for (let i = 0; i < 5; i++) {
      source.write('a');
      await sleep(50);
    }
    source.end();
    await sleep(200);
    expect(source.destroyed && source.errored).toBeFalsy();
  });

  it('does not count the time a slow consumer holds it paused', async () => {
    const source = failWhenStalled(new PassThrough({ highWaterMark: 1 }), 100);
    let release: () => void = () => undefined;
    const slow = new Writable({
      highWaterMark: 1,
      write: (_chunk, _enc, done) => (release = () => done()),
    });
    source.pipe(slow);
    source.write('a');
    source.write('b');
    await sleep(300);
    expect(source.errored).toBeFalsy();
    release();
    source.end();
  });
});
