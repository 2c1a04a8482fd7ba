import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { AuthService, type EnsureAdminResult } from '@app/auth';

import { APP_CONFIG } from '../config/config.module.js';
import { retryWhileBusy } from '../database/first-boot.js';
import type { AppConfig } from '../config/config.js';
import { RESOLVED_SECRETS, type ResolvedSecrets } from './secrets.js';

/**
 * Ensures the author's account from the configured password. The first boot creates it before
 * the app listens (the generated password is printed once); later boots check the configured
 * password alongside the first requests, and the admin's sign-ins and sessions wait for that.
 */
@Injectable()
export class AdminAccount implements OnApplicationBootstrap {
  private readonly logger = new Logger('Admin');

  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RESOLVED_SECRETS) private readonly secrets: ResolvedSecrets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const ensure = () => this.auth.ensureAdminInBackground(this.config.adminUsername, this.secrets.adminPassword);
    // The first boot writes while Litestream may be attaching to the new file (database/first-boot.ts).
    if (!(await this.auth.hasAccount())) return this.report(await retryWhileBusy(ensure));
    const check = ensure();
    check.then(
      (result) => this.report(result),
      (err: unknown) => this.logger.error(`Checking the admin account failed: ${(err as Error).message}`),
    );
  }

  private report(result: EnsureAdminResult): void {
    if (result.generatedPassword) {
      // Local only (production refuses to boot without a password): shown once, stored as a hash.
      this.logger.warn(
        `Admin login created: ${this.config.siteUrl}/admin/login  username: ${this.config.adminUsername}  password: ${result.generatedPassword}  (shown once; set ADMIN_PASSWORD to choose your own)`,
      );
    }
  }
}
