import { createRequire } from 'node:module';

import { httpCall } from './http-call.js';

/** Scope of the token when it comes from google-auth-library (the metadata server ignores scopes). */
const SCOPE = 'https://www.googleapis.com/auth/devstorage.full_control';
/** A token is renewed this long before the metadata server says it expires. */
const EARLY_MS = 60_000;

type GoogleAuthModule = typeof import('google-auth-library');
const requireCjs = createRequire(import.meta.url);

let cached: { token: string; expiresAt: number } | null = null;
let library: Promise<() => Promise<string>> | null = null;

/**
 * A bearer token for Cloud Storage, as Application Default Credentials would give it.
 *
 * On Cloud Run (K_SERVICE) and wherever GCE_METADATA_HOST / GCE_METADATA_IP name a metadata
 * server (the tests' stand-in): one request to the metadata server, the way google-auth-library
 * itself gets the service account's token there. Why not the library: with its dependencies it
 * took 250 ms (quiet) to 2.7 s (loaded machine) to load, on every cold start's path (the writer
 * lease runs before Litestream restores). Anywhere else (an author's machine with gcloud's
 * credentials, GOOGLE_APPLICATION_CREDENTIALS): google-auth-library, loaded then.
 */
export async function accessToken(deadline: number): Promise<string> {
  if (!fromMetadataServer()) return (await authLibrary())();
  if (cached && cached.expiresAt > Date.now() + EARLY_MS) return cached.token;
  const host = process.env.GCE_METADATA_HOST || process.env.GCE_METADATA_IP || '169.254.169.254';
  const res = await httpCall(`http://${host}/computeMetadata/v1/instance/service-accounts/default/token`, {
    headers: { 'Metadata-Flavor': 'Google' },
    deadline,
    maxBytes: 64 * 1024,
  });
  if (res.status !== 200)
    throw Object.assign(new Error(`metadata server answered ${res.status} for a token`), { code: res.status });
  const parsed = JSON.parse(res.body.toString('utf8')) as { access_token?: unknown; expires_in?: unknown };
  if (typeof parsed.access_token !== 'string' || typeof parsed.expires_in !== 'number') {
    throw new Error('metadata server answered without an access token');
  }
  cached = { token: parsed.access_token, expiresAt: Date.now() + parsed.expires_in * 1000 };
  return cached.token;
}

/**
 * Points google-auth-library (inside @google-cloud/storage, the media store's client) at the
 * metadata server by the same rule, without its detection ping. Why: off Cloud Run's residency
 * checks the library gives that ping 3 s, and a loaded instance that missed it concluded "no
 * credentials" for the client's whole life — every later call failed or went out without a token
 * (CI saw the bucket's 401s on social-card uploads; gcs-credentials.e2e-spec.ts).
 */
export function pinMetadataServerForClients(): void {
  if (fromMetadataServer()) process.env.METADATA_SERVER_DETECTION ??= 'assume-present';
}

function fromMetadataServer(): boolean {
  const env = process.env;
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return false;
  return Boolean(env.GCE_METADATA_HOST || env.GCE_METADATA_IP || env.K_SERVICE);
}

function authLibrary(): Promise<() => Promise<string>> {
  library ??= Promise.resolve().then(() => {
    const { GoogleAuth } = requireCjs('google-auth-library') as GoogleAuthModule;
    const auth = new GoogleAuth({ scopes: [SCOPE] });
    return async () => {
      const token = await auth.getAccessToken();
      if (!token) throw new Error('Application Default Credentials gave no access token');
      return token;
    };
  });
  return library;
}
