import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecret, SecretError, type SecretManagerOptions } from './secrets.js';
import { startSecretManagerStandIn, type SecretManagerStandIn } from './testing/secret-manager-stand-in.js';

// The first Secret Manager case loads the client and gRPC (2.5 s here): sized for a loaded 2-core machine.
jest.setTimeout(30_000);

describe('readSecret', () => {
  it('returns a literal value as given', async () => {
    await expect(readSecret({ kind: 'literal', value: ' p@ss word ' })).resolves.toBe(' p@ss word ');
  });

  it('returns null when no source is configured', async () => {
    await expect(readSecret({ kind: 'none' })).resolves.toBeNull();
  });

  describe('file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'inkstone-secrets-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads the file and drops the trailing newline', async () => {
      const path = join(dir, 'password');
      await writeFile(path, 'correct horse battery\n');
      await expect(readSecret({ kind: 'file', path })).resolves.toBe('correct horse battery');
    });

    it('names the path when the file is missing', async () => {
      const path = join(dir, 'missing');
      const error = await readSecret({ kind: 'file', path }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretError);
      expect((error as SecretError).message).toContain(path);
      expect((error as SecretError).message).toContain('ENOENT');
    });

    it('rejects an empty file', async () => {
      const path = join(dir, 'empty');
      await writeFile(path, '\n');
      const error = await readSecret({ kind: 'file', path }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretError);
      expect((error as SecretError).message).toBe(`Secret file ${path} is empty.`);
    });
  });

  describe('secret-manager, through the real client against a local stand-in', () => {
    const secret = 'projects/inkstone-test/secrets/session-secret';
    const name = `${secret}/versions/latest`;
    let standIn: SecretManagerStandIn;
    let endpoint: SecretManagerOptions;
    const read = (version: string) => readSecret({ kind: 'secret-manager', name: version }, { secretManager: endpoint });
    const failure = async (version: string): Promise<string> => {
      const error = await read(version).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretError);
      return (error as SecretError).message;
    };

    beforeEach(async () => {
      // A fresh stand-in per test: versions and states are the subject here.
      standIn = await startSecretManagerStandIn({ [secret]: ['s3cret-value-1\n'] });
      endpoint = { apiEndpoint: '127.0.0.1', port: standIn.port, insecure: true };
    });
    afterEach(async () => {
      await standIn.stop();
    });

    it('returns the trimmed payload and asks for the exact resource name', async () => {
      await expect(read(name)).resolves.toBe('s3cret-value-1');
      expect(standIn.calls).toEqual([name]);
    });

    it('reports NOT_FOUND with the resource name and without any secret value', async () => {
      const missing = 'projects/inkstone-test/secrets/nope/versions/latest';
      const message = await failure(missing);
      expect(message).toContain(missing);
      expect(message).toContain('NOT_FOUND');
      expect(message).not.toContain('s3cret-value');
      expect(standIn.calls).toEqual([missing]);
    });

    it('reports NOT_FOUND for a version number the secret never had', async () => {
      const message = await failure(`${secret}/versions/2`);
      expect(message).toBe(
        `Cannot read Secret Manager secret ${secret}/versions/2: NOT_FOUND (Secret Version [${secret}/versions/2] not found.)`,
      );
    });

    it('after a rotation, latest is the newest version and older ones stay readable by number', async () => {
      await expect(read(name)).resolves.toBe('s3cret-value-1');
      expect(standIn.addVersion(secret, 's3cret-value-2')).toBe(2);
      expect(standIn.addVersion(secret, 's3cret-value-3')).toBe(3);
      await expect(read(name)).resolves.toBe('s3cret-value-3');
      await expect(read(`${secret}/versions/2`)).resolves.toBe('s3cret-value-2');
      await expect(read(`${secret}/versions/1`)).resolves.toBe('s3cret-value-1');
    });

    it('a disabled latest fails with FAILED_PRECONDITION naming the version, never an older value (no fallback, as the real API)', async () => {
      standIn.addVersion(secret, 's3cret-value-2');
      standIn.setState(secret, 2, 'DISABLED');
      const message = await failure(name);
      expect(message).toContain(`Cannot read Secret Manager secret ${name}: FAILED_PRECONDITION`);
      expect(message).toContain(`Secret Version [${secret}/versions/2] is in DISABLED state.`);
      expect(message).toContain('enable it, add a new version, or name an enabled version');
      expect(message).not.toContain('s3cret-value');
      // The two ways out the message names: an enabled version by number, or a newer version.
      await expect(read(`${secret}/versions/1`)).resolves.toBe('s3cret-value-1');
      standIn.addVersion(secret, 's3cret-value-3');
      await expect(read(name)).resolves.toBe('s3cret-value-3');
      // Re-enabling makes the pinned version readable again.
      standIn.setState(secret, 2, 'ENABLED');
      await expect(read(`${secret}/versions/2`)).resolves.toBe('s3cret-value-2');
    });

    it('a destroyed version fails with FAILED_PRECONDITION and cannot come back', async () => {
      standIn.setState(secret, 1, 'DESTROYED');
      const message = await failure(`${secret}/versions/1`);
      expect(message).toContain(`FAILED_PRECONDITION (Secret Version [${secret}/versions/1] is in DESTROYED state.)`);
      expect(message).not.toContain('s3cret-value');
      expect(await failure(name)).toContain('is in DESTROYED state.');
      expect(() => standIn.setState(secret, 1, 'ENABLED')).toThrow(/destroyed/);
    });

    it('PERMISSION_DENIED names the secret and the role to grant, never its value', async () => {
      standIn.denyAccess(secret);
      const message = await failure(name);
      expect(message).toBe(
        `Cannot read Secret Manager secret ${name}: PERMISSION_DENIED (Permission 'secretmanager.versions.access' denied ` +
          `for resource '${name}' (or it may not exist).). Grant the service account roles/secretmanager.secretAccessor on that secret.`,
      );
      standIn.denyAccess(secret, false);
      await expect(read(name)).resolves.toBe('s3cret-value-1');
    });

    it('follows SECRET_MANAGER_EMULATOR_HOST when no options are given', async () => {
      const saved = process.env.SECRET_MANAGER_EMULATOR_HOST;
      process.env.SECRET_MANAGER_EMULATOR_HOST = `127.0.0.1:${standIn.port}`;
      try {
        await expect(readSecret({ kind: 'secret-manager', name })).resolves.toBe('s3cret-value-1');
      } finally {
        if (saved === undefined) delete process.env.SECRET_MANAGER_EMULATOR_HOST;
        else process.env.SECRET_MANAGER_EMULATOR_HOST = saved;
      }
    });

    it('turns a credentials failure into a SecretError instead of an unhandled rejection', async () => {
      const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/inkstone-adc.json';
      try {
        const secure = { apiEndpoint: '127.0.0.1', port: standIn.port };
        const error = await readSecret({ kind: 'secret-manager', name }, { secretManager: secure }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SecretError);
        expect((error as SecretError).message).toContain(name);
        expect(standIn.calls).toEqual([]);
      } finally {
        if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
        else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
      }
    });
  });
});
