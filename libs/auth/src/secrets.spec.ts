import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecret, SecretError, type SecretManagerOptions } from './secrets.js';
import { startSecretManagerStandIn, type SecretManagerStandIn } from './testing/secret-manager-stand-in.js';

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
    const name = 'projects/inkstone-test/secrets/session-secret/versions/latest';
    let standIn: SecretManagerStandIn;
    let endpoint: SecretManagerOptions;

    beforeAll(async () => {
      standIn = await startSecretManagerStandIn({ [name]: 's3cret-value-1\n' });
      endpoint = { apiEndpoint: '127.0.0.1', port: standIn.port, insecure: true };
    });
    afterAll(async () => {
      await standIn.stop();
    });
    beforeEach(() => {
      standIn.set(name, 's3cret-value-1\n');
      standIn.calls.length = 0;
    });

    it('returns the trimmed payload and asks for the exact resource name', async () => {
      await expect(readSecret({ kind: 'secret-manager', name }, { secretManager: endpoint })).resolves.toBe('s3cret-value-1');
      expect(standIn.calls).toEqual([name]);
    });

    it('reports NOT_FOUND with the resource name and without any secret value', async () => {
      const missing = 'projects/inkstone-test/secrets/nope/versions/latest';
      const error = await readSecret({ kind: 'secret-manager', name: missing }, { secretManager: endpoint }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SecretError);
      const { message } = error as SecretError;
      expect(message).toContain(missing);
      expect(message).toContain('NOT_FOUND');
      expect(message).not.toContain('s3cret-value');
      expect(standIn.calls).toEqual([missing]);
    });

    it('reads a rotated value fresh on the next call', async () => {
      await expect(readSecret({ kind: 'secret-manager', name }, { secretManager: endpoint })).resolves.toBe('s3cret-value-1');
      standIn.set(name, 's3cret-value-2');
      await expect(readSecret({ kind: 'secret-manager', name }, { secretManager: endpoint })).resolves.toBe('s3cret-value-2');
      expect(standIn.calls).toEqual([name, name]);
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
