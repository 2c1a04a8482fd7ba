import { MediaCache } from './media-cache.js';

const bytes = (n: number) => Buffer.alloc(n, 1);

describe('MediaCache', () => {
  it('keeps at most maxBytes, evicting the least recently used first', () => {
    const cache = new MediaCache(300, 200);
    cache.set('a', bytes(100));
    cache.set('b', bytes(100));
    cache.set('c', bytes(100));
    cache.get('a'); // a is now the most recent
    cache.set('d', bytes(100));
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')].every(Boolean)).toBe(true);
    expect(cache.size).toBe(300);
  });

  it('never caches an object larger than maxItemBytes', () => {
    const cache = new MediaCache(1000, 200);
    cache.set('big', bytes(201));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets a deleted key and its bytes', () => {
    const cache = new MediaCache(1000);
    cache.set('a', bytes(10));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
