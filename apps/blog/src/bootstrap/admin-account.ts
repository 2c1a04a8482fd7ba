import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { AuthService } from '@app/auth';

import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { RESOLVED_SECRETS, type ResolvedSecrets } from './secrets.js';

/** Ensures the author's account from the configured password before the app listens. */
@Injectable()
export class AdminAccount implements OnApplicationBootstrap {
  private readonly logger = new Logger('Admin');

  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RESOLVED_SECRETS) private readonly secrets: ResolvedSecrets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const result = await this.auth.ensureAdmin(this.config.adminUsername, this.secrets.adminPassword);
    if (result.generatedPassword) {
      // Local only (production refuses to boot without a password): shown once, stored as a hash.
      this.logger.warn(
        `Admin login created: ${this.config.siteUrl}/admin/login  username: ${this.config.adminUsername}  password: ${result.generatedPassword}  (shown once; set ADMIN_PASSWORD to choose your own)`,
      );
    }
  }
}
