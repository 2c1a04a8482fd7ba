import type { Readable } from 'node:stream';

/**
 * Destroys `source` with an error when it has been read from (flowing) but gave no bytes for `ms`.
 * Time while the consumer holds it paused (a slow reader, backpressure) does not count.
 * Returns `source` itself.
 */
export function failWhenStalled<T extends Readable>(source: T, ms: number): T {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearTimeout(timer);
  const arm = () => {
    stop();
    timer = setTimeout(() => source.destroy(new Error(`no bytes from the store for ${ms} ms`)), ms);
    timer.unref();
  };
  // Node emits 'resume' on the tick after resume() even when the stream was paused again meanwhile.
  const armIfFlowing = () => {
    if (source.readableFlowing) arm();
  };
  source.on('resume', armIfFlowing);
  source.on('data', armIfFlowing);
  source.on('pause', stop);
  source.on('end', stop);
  source.on('close', stop);
  return source;
}
