import { readFile } from 'node:fs/promises';

/** Where a secret comes from: a literal value, a mounted file, Secret Manager, or nothing configured. */
export type SecretSource =
  | { kind: 'literal'; value: string }
  | { kind: 'file'; path: string }
  | { kind: 'secret-manager'; name: string }
  | { kind: 'none' };

/** Points the Secret Manager client at a local stand-in; production leaves it unset and uses ADC. */
export interface SecretManagerOptions {
  apiEndpoint?: string;
  port?: number;
  insecure?: boolean;
}

export interface ReadSecretOptions {
  secretManager?: SecretManagerOptions;
}

/** Messages name where a secret was looked for, never what it holds. */
export class SecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretError';
  }
}

type ClientOptions = NonNullable<
  ConstructorParameters<typeof import('@google-cloud/secret-manager').SecretManagerServiceClient>[0]
>;

const EMULATOR_ENV = 'SECRET_MANAGER_EMULATOR_HOST';

const GRPC_STATUS = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export async function readSecret(source: SecretSource, options?: ReadSecretOptions): Promise<string | null> {
  switch (source.kind) {
    case 'literal':
      return source.value;
    case 'file':
      return readSecretFile(source.path);
    case 'secret-manager':
      return readSecretManager(source.name, options?.secretManager ?? emulatorFromEnv(process.env[EMULATOR_ENV]));
    case 'none':
      return null;
  }
}

async function readSecretFile(path: string): Promise<string> {
  let contents: string;
  try {
    contents = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SecretError(`Cannot read secret file ${path}${code ? ` (${code})` : ''}.`, { cause: error });
  }
  // Files written with `echo` or an editor end in a newline that is not part of the secret.
  const value = contents.trimEnd();
  if (!value) throw new SecretError(`Secret file ${path} is empty.`);
  return value;
}

async function readSecretManager(name: string, endpoint: SecretManagerOptions | undefined): Promise<string> {
  // Loaded on demand: importing the client and gRPC costs ~150 ms of cold start that most configurations never need.
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  const client = new SecretManagerServiceClient(endpoint ? await endpointClientOptions(endpoint) : undefined);
  try {
    // Initialised before the call: the client rethrows a failed initialisation (e.g. no credentials)
    // from a detached promise, which would crash the process instead of reaching our catch.
    await client.initialize();
    const [version] = await client.accessSecretVersion({ name });
    const value = decodePayload(version.payload?.data, name).trimEnd();
    if (!value) throw new SecretError(`Secret Manager secret ${name} is empty.`);
    return value;
  } catch (error) {
    if (error instanceof SecretError) throw error;
    throw new SecretError(`Cannot read Secret Manager secret ${name}: ${describeGrpcError(error)}${grpcHint(error, name)}`, {
      cause: error,
    });
  } finally {
    // Close rejects when initialisation failed; that failure is already being reported.
    await client.close().catch(() => undefined);
  }
}

async function endpointClientOptions(endpoint: SecretManagerOptions): Promise<ClientOptions> {
  // Without an explicit universe the client asks the credentials for one, which probes the GCE metadata server.
  const options: ClientOptions = { universeDomain: 'googleapis.com' };
  // Only defined keys: the client merges these over its defaults, so `port: undefined` would erase port 443.
  if (endpoint.apiEndpoint !== undefined) options.apiEndpoint = endpoint.apiEndpoint;
  if (endpoint.port !== undefined) options.port = endpoint.port;
  if (endpoint.insecure) {
    const { credentials } = await import('@grpc/grpc-js');
    options.sslCreds = credentials.createInsecure();
  }
  return options;
}

// SECRET_MANAGER_EMULATOR_HOST=host:port sends Secret Manager reads, unauthenticated, to a local stand-in (e2e tests).
function emulatorFromEnv(raw: string | undefined): SecretManagerOptions | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new SecretError(`${EMULATOR_ENV} must be host:port (got "${value}").`);
  return { apiEndpoint: match[1], port, insecure: true };
}

function decodePayload(data: Uint8Array | string | null | undefined, name: string): string {
  if (data == null) return '';
  // Protobuf's JSON form carries bytes as base64.
  const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : data;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SecretError(`Secret Manager secret ${name} is not valid UTF-8.`);
  }
}

function describeGrpcError(error: unknown): string {
  // Duck-typed, not instanceof: errors from Node's core and from gax may come from another realm (Jest's VM contexts).
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, details, message } = error as { code?: unknown; details?: unknown; message?: unknown };
  const status = typeof code === 'number' ? (GRPC_STATUS[code] ?? `status ${code}`) : undefined;
  const detail = typeof details === 'string' && details ? details : typeof message === 'string' ? message : String(error);
  return status ? `${status} (${detail})` : detail;
}

// What to do about the failures an operator can cause, in the words of the gcloud commands that fix them.
function grpcHint(error: unknown, name: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  const status = typeof code === 'number' ? GRPC_STATUS[code] : undefined;
  if (status === 'PERMISSION_DENIED') {
    return '. Grant the service account roles/secretmanager.secretAccessor on that secret.';
  }
  if (status === 'FAILED_PRECONDITION' && name.endsWith('/versions/latest')) {
    // Secret Manager's `latest` is the newest version even when it is disabled; it never falls back.
    return '. "latest" is the newest version of the secret, even when disabled: enable it, add a new version, or name an enabled version.';
  }
  return '';
}
