import { readSecret, SecretError } from '@app/auth';

// The stand-in is test tooling of the auth lib, deliberately not part of its public index: this file
// is the harness's one door to it.
// eslint-disable-next-line no-restricted-imports
import {
  type SecretManagerStandIn,
  startSecretManagerStandIn,
} from '../../../../libs/auth/src/testing/secret-manager-stand-in.js';
import type { SecretRef, ServiceSpec } from './service-spec.js';

export type { SecretManagerStandIn };

/** The project the local Cloud Run deploys into: its secrets are projects/local-project/secrets/…. */
export const LOCAL_PROJECT = 'local-project';

export const secretVersionName = (ref: SecretRef) => `projects/${LOCAL_PROJECT}/secrets/${ref.secret}/versions/${ref.version}`;

/** A Secret Manager stand-in holding each value as version 1 of the local project's secret of that name. */
export function startSecretsFor(values: Record<string, string>): Promise<SecretManagerStandIn> {
  return startSecretManagerStandIn(
    Object.fromEntries(Object.entries(values).map(([secret, value]) => [`projects/${LOCAL_PROJECT}/secrets/${secret}`, [value]])),
  );
}

/** Every secret a revision names, env and volumes alike. */
function referencedSecrets(spec: ServiceSpec): SecretRef[] {
  return [...Object.values(spec.secretEnv), ...spec.secretFiles.flatMap((volume) => volume.files)];
}

/**
 * What Cloud Run does at an instance's start: reads each secret version service.yaml names (`latest`
 * or a number) from Secret Manager as the runtime service account, with the real client. A version
 * that is missing, disabled, destroyed or not readable refuses the start (Cloud Run marks the revision
 * not ready and serves nothing from it): the error names the secret and Secret Manager's answer.
 * Values come back as the app reads them (readSecret: trailing whitespace trimmed, never empty).
 */
export async function resolveSecrets(
  spec: ServiceSpec,
  secretManager: SecretManagerStandIn,
  revision: string,
): Promise<(ref: SecretRef) => string> {
  const values = new Map<string, string>();
  for (const ref of referencedSecrets(spec)) {
    const name = secretVersionName(ref);
    if (values.has(name)) continue;
    try {
      const value = await readSecret(
        { kind: 'secret-manager', name },
        { secretManager: { apiEndpoint: '127.0.0.1', port: secretManager.port, insecure: true } },
      );
      values.set(name, value!);
    } catch (err) {
      if (!(err instanceof SecretError)) throw err;
      throw new SecretRefusedError(`Cloud Run refuses to start revision ${revision}: ${err.message}`);
    }
  }
  return (ref) => values.get(secretVersionName(ref))!;
}

/** The revision's secrets cannot be read: no instance of it starts. */
export class SecretRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretRefusedError';
  }
}
