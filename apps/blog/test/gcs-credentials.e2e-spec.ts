import { createHash } from 'node:crypto';

import { GcsMediaStore } from '../src/media/gcs-media-store.js';
import { type GcsStandIn, startGcsStandIn } from './support/gcs-stand-in.js';

/**
 * The media store's storage client takes its token from the metadata server as the writer lease
 * does, whatever the metadata server's answer time. google-auth-library first pings the metadata
 * server to detect it, and off Cloud Run gives that ping 3 s; when a loaded instance missed it, the
 * client concluded "no credentials" and sent every later request of its life without a token (CI
 * saw the bucket's 401s on social-card uploads).
 */
describe('the media store on a metadata server that answers its detection ping late', () => {
  let gcs: GcsStandIn;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    gcs = await startGcsStandIn({ buckets: ['blog'] });
    for (const [key, value] of Object.entries({ ...gcs.env, METADATA_SERVER_DETECTION: undefined })) {
      saved[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await gcs.stop();
  });

  it('still writes with a token (no detection ping that a slow answer could fail)', async () => {
    // The detection ping (GET /computeMetadata/v1/instance) is held and never answered: a barrier
    // for two such requests that only ever sees one.
    gcs.barrier(2, (r) => r.method === 'GET' && r.path.replace(/\/$/, '') === '/computeMetadata/v1/instance');
    const store = new GcsMediaStore('blog', 'site/media', 15_000);
    const data = Buffer.from('a card, say');
    const key = `${createHash('sha256').update(data).digest('hex')}.png`;
    await store.put(key, data, 'image/png');
    expect(gcs.object('blog', `site/media/${key}`)?.data.equals(data)).toBe(true);
    expect(gcs.requests.filter((r) => r.path.startsWith('/upload/')).map((r) => r.authenticated)).toEqual([true]);
    expect(gcs.unexpected()).toEqual([]);
  }, 30_000);
});
