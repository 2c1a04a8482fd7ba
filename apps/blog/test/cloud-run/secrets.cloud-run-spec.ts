import { defaultSecrets } from './local-cloud-run.js';
import { LOCAL_PROJECT, startSecretsFor } from './platform-secrets.js';
import { report, type Scenario, startScenario } from './scenario.js';

/**
 * The secrets service.yaml names are read from Secret Manager (the project's gRPC stand-in, the real
 * client) at each instance start, as Cloud Run does: the version the YAML names, and no instance
 * at all when that version cannot be read.
 */
describe('secrets read by the platform at instance start', () => {
  const session = `projects/${LOCAL_PROJECT}/secrets/inkstone-session-secret`;
  let s: Scenario | undefined;

  /** A reader's request: it asks the platform for an instance. */
  async function refusal(): Promise<{ status: number; body: string }> {
    const res = await fetch(`${s!.cloudRun.url}/`);
    return { status: res.status, body: await res.text() };
  }

  it("a disabled latest version or a denied secret refuses the start with Secret Manager's answer; fixed, it starts", async () => {
    const secretManager = await startSecretsFor(defaultSecrets());
    const admin = `projects/${LOCAL_PROJECT}/secrets/inkstone-admin-password`;
    try {
      // A rotation gone wrong: a new version, disabled. `latest` names it and does not fall back.
      const version2 = secretManager.addVersion(session, 'x'.repeat(48));
      secretManager.setState(session, version2, 'DISABLED');
      s = await startScenario({ secretManager });
      const disabled = await refusal();
      report('secrets disabled', { status: disabled.status, answer: disabled.body.trim(), asked: secretManager.calls });
      expect(disabled.status).toBe(503);
      expect(disabled.body).toMatch(
        /refuses to start revision inkstone-00001-\w+: .*inkstone-session-secret\/versions\/latest: FAILED_PRECONDITION/,
      );
      expect(disabled.body).toContain('is in DISABLED state');
      expect(s.cloudRun.instances).toHaveLength(0); // nothing of the image ever ran
      expect(secretManager.calls).toContain(`${session}/versions/latest`);

      // The runtime account loses access to the other secret: refused too, before anything runs.
      secretManager.setState(session, version2, 'ENABLED');
      secretManager.denyAccess(admin);
      const denied = await refusal();
      expect(denied.status).toBe(503);
      expect(denied.body).toMatch(/inkstone-admin-password\/versions\/latest: PERMISSION_DENIED/);
      expect(s.cloudRun.instances).toHaveLength(0);

      // Access granted again: the next request starts an instance.
      secretManager.denyAccess(admin, false);
      expect((await fetch(`${s.cloudRun.url}/`)).status).toBe(200);
      expect(s.cloudRun.instances).toHaveLength(1);
    } finally {
      await s?.close();
      s = undefined;
      await secretManager.stop();
    }
  }, 180_000);

  it('a version named by number is the one mounted, whatever latest is', async () => {
    const values = defaultSecrets();
    const secretManager = await startSecretsFor(values);
    try {
      // Version 2 of the admin password is disabled; the YAML pins version 1, so the instance starts
      // and the password that signs in is version 1's.
      const admin = `projects/${LOCAL_PROJECT}/secrets/inkstone-admin-password`;
      secretManager.setState(admin, secretManager.addVersion(admin, 'version-two-password'), 'DISABLED');
      s = await startScenario({
        secretManager,
        adminPassword: values['inkstone-admin-password'],
        editSpec: (spec) => {
          for (const file of spec.secretFiles.flatMap((v) => v.files))
            if (file.secret === 'inkstone-admin-password') file.version = '1';
        },
      });
      await s.admin(); // signs in with version 1's value (throws otherwise)
      expect(secretManager.calls).toContain(`${admin}/versions/1`);
      expect(secretManager.calls).not.toContain(`${admin}/versions/latest`);
    } finally {
      await s?.close();
      s = undefined;
      await secretManager.stop();
    }
  }, 180_000);
});
