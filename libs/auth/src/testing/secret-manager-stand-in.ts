import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export type SecretVersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';

export interface SecretManagerStandIn {
  readonly port: number;
  /** Version names asked for, in order, exactly as the client sent them. */
  readonly calls: string[];
  /** Adds an ENABLED version to a secret (created if new), as `gcloud secrets versions add`; returns its number. */
  addVersion(secret: string, value: string): number;
  /** Enables, disables or destroys a version; destroying is final and discards the payload, as the real service. */
  setState(secret: string, version: number, state: SecretVersionState): void;
  /** Refuses (or again allows) every access to a secret with PERMISSION_DENIED, as a missing IAM binding does. */
  denyAccess(secret: string, denied?: boolean): void;
  stop(): Promise<void>;
}

interface AccessSecretVersionRequest {
  name: string;
}

interface AccessSecretVersionResponse {
  name: string;
  payload: { data: Buffer };
}

interface Version {
  value: string | null;
  state: SecretVersionState;
}

interface Secret {
  versions: Version[]; // versions[0] is version 1
  denied: boolean;
}

const SERVICE = 'google.cloud.secretmanager.v1.SecretManagerService';
const SECRET_NAME = /^projects\/[^/]+\/secrets\/[^/]+$/;
const VERSION_NAME = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/;

/**
 * A local gRPC server speaking the real Secret Manager protocol (AccessSecretVersion only), so tests
 * exercise the real client. It models what the real service does, because the app's error handling
 * is only as good as the failures it is tested against:
 * - versions are numbered from 1 in the order they are added;
 * - `latest` is the most recently created version whatever its state: the real API does NOT fall
 *   back to an older enabled version (the proto says "an alias to the most recently created
 *   SecretVersion"; a disabled newest version fails `latest` with FAILED_PRECONDITION, as reported
 *   in external-secrets#1951 and google-github-actions/get-secretmanager-secrets#268);
 * - a DISABLED or DESTROYED version answers FAILED_PRECONDITION "… is in DISABLED state.";
 * - an unknown secret or version answers NOT_FOUND; a denied secret answers PERMISSION_DENIED,
 *   before anything about its existence is revealed.
 *
 * `secrets` maps secret names (projects/p/secrets/s) to the values of their versions 1, 2, …
 */
export async function startSecretManagerStandIn(secrets: Record<string, string[]> = {}): Promise<SecretManagerStandIn> {
  const store = new Map<string, Secret>();
  const calls: string[] = [];

  const secretFor = (name: string, create: boolean): Secret => {
    if (!SECRET_NAME.test(name)) throw new Error(`Not a secret name (projects/P/secrets/S): ${name}`);
    let secret = store.get(name);
    if (!secret) {
      if (!create) throw new Error(`No such secret in the stand-in: ${name}`);
      secret = { versions: [], denied: false };
      store.set(name, secret);
    }
    return secret;
  };
  const addVersion = (name: string, value: string): number => secretFor(name, true).versions.push({ value, state: 'ENABLED' });
  for (const [name, values] of Object.entries(secrets)) {
    secretFor(name, true);
    for (const value of values) addVersion(name, value);
  }

  const server = new grpc.Server();
  server.addService(await loadService(), {
    AccessSecretVersion: ((call, callback) => {
      const { name } = call.request;
      calls.push(name);
      const answer = access(store, name);
      if ('code' in answer) callback(answer);
      else callback(null, answer);
    }) satisfies grpc.handleUnaryCall<AccessSecretVersionRequest, AccessSecretVersionResponse>,
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    ),
  );

  return {
    port,
    calls,
    addVersion,
    setState: (name, number, state) => {
      const version = secretFor(name, false).versions[number - 1];
      if (!version) throw new Error(`No version ${number} of ${name} in the stand-in`);
      if (version.state === 'DESTROYED' && state !== 'DESTROYED') {
        throw new Error(`Version ${number} of ${name} is destroyed; the real service refuses to change it`);
      }
      version.state = state;
      if (state === 'DESTROYED') version.value = null;
    },
    denyAccess: (name, denied = true) => void (secretFor(name, false).denied = denied),
    stop: () =>
      new Promise<void>((resolve) => {
        // A client left open would keep a graceful shutdown waiting; tests should not hang on that.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** The real service's answer to AccessSecretVersion, with its status codes and message wording. */
function access(store: Map<string, Secret>, name: string): AccessSecretVersionResponse | grpc.ServiceError {
  const match = VERSION_NAME.exec(name);
  if (!match) return failure(grpc.status.INVALID_ARGUMENT, 'Invalid resource field value in the request.');
  const [, secretName, id] = match as unknown as [string, string, string];
  const secret = store.get(secretName);
  // IAM is checked first: without access, the caller learns nothing about what exists.
  if (secret?.denied) {
    return failure(
      grpc.status.PERMISSION_DENIED,
      `Permission 'secretmanager.versions.access' denied for resource '${name}' (or it may not exist).`,
    );
  }
  if (!secret || secret.versions.length === 0) {
    return failure(grpc.status.NOT_FOUND, `Secret [${secretName}] not found or has no versions.`);
  }
  let number: number;
  if (id === 'latest') number = secret.versions.length;
  else if (/^[1-9]\d*$/.test(id)) number = Number(id);
  else return failure(grpc.status.NOT_FOUND, `Secret Version [${name}] not found.`); // an unknown alias
  const version = secret.versions[number - 1];
  const resolved = `${secretName}/versions/${number}`;
  if (!version) return failure(grpc.status.NOT_FOUND, `Secret Version [${resolved}] not found.`);
  if (version.state !== 'ENABLED' || version.value === null) {
    return failure(grpc.status.FAILED_PRECONDITION, `Secret Version [${resolved}] is in ${version.state} state.`);
  }
  // The response names the version actually read, never the alias.
  return { name: resolved, payload: { data: Buffer.from(version.value, 'utf8') } };
}

function failure(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

async function loadService(): Promise<grpc.ServiceDefinition> {
  // The client package ships its protos; their google/api, google/iam and google/protobuf imports live in google-gax.
  const clientPackageJson = createRequire(import.meta.url).resolve('@google-cloud/secret-manager/package.json');
  // google-gax's exports map hides package.json; its main is build/src/index.js, next to build/protos.
  const gaxMain = createRequire(clientPackageJson).resolve('google-gax');
  const definition = await protoLoader.load('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [join(dirname(clientPackageJson), 'build/protos'), join(dirname(gaxMain), '../protos')],
    defaults: true,
  });
  return definition[SERVICE] as grpc.ServiceDefinition;
}
