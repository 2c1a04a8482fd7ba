import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface SecretManagerStandIn {
  readonly port: number;
  /** Version names asked for, in order. */
  readonly calls: string[];
  set(name: string, value: string): void;
  stop(): Promise<void>;
}

interface AccessSecretVersionRequest {
  name: string;
}

interface AccessSecretVersionResponse {
  name: string;
  payload: { data: Buffer };
}

const SERVICE = 'google.cloud.secretmanager.v1.SecretManagerService';
const VERSION_NAME = /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/;

/**
 * A local gRPC server speaking the real Secret Manager protocol (AccessSecretVersion only), so tests
 * exercise the real client. `secrets` maps full version names (projects/p/secrets/s/versions/latest) to values.
 */
export async function startSecretManagerStandIn(secrets: Record<string, string>): Promise<SecretManagerStandIn> {
  const values = new Map(Object.entries(secrets));
  const calls: string[] = [];

  const server = new grpc.Server();
  server.addService(await loadService(), {
    AccessSecretVersion: ((call, callback) => {
      const { name } = call.request;
      calls.push(name);
      if (!VERSION_NAME.test(name)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `Invalid resource field value in the request.` });
        return;
      }
      const value = values.get(name);
      if (value === undefined) {
        callback({ code: grpc.status.NOT_FOUND, details: notFoundMessage(name) });
        return;
      }
      callback(null, { name, payload: { data: Buffer.from(value, 'utf8') } });
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
    set: (name, value) => void values.set(name, value),
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

function notFoundMessage(name: string): string {
  const secret = name.replace(/\/versions\/[^/]+$/, '');
  return name.endsWith('/versions/latest')
    ? `Secret [${secret}] not found or has no versions.`
    : `Secret Version [${name}] not found.`;
}
