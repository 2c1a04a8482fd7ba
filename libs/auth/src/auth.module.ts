import { type DynamicModule, Module } from '@nestjs/common';

import { AdminGuard, CsrfGuard } from './admin.guard.js';
import { AuthCookies } from './auth-cookies.js';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options.js';
import { AuthService } from './auth.service.js';
import { CsrfService } from './csrf.service.js';
import { LoginThrottle } from './login-throttle.js';

const providers = [AuthService, AuthCookies, CsrfService, LoginThrottle, AdminGuard, CsrfGuard];

/** Needs the app's global EntityManager configured with `authEntities`. */
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, ...providers],
      exports: [AUTH_OPTIONS, ...providers],
    };
  }
}
