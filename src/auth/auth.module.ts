import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiTokensModule } from '../api-tokens/api-tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessPrincipals } from './access-principals.js';
import { AuthGuard } from './http/auth.guard.js';
import { BrowserSessions } from './http/browser-sessions.js';
import { JwksController } from './http/jwks.controller.js';
import { LoginThrottleRepository } from './login/login-throttle.repository.js';
import { LoginService } from './login/login.service.js';
import { MeController } from './http/me.controller.js';
import { JwtStrategy } from './http/passport/jwt.strategy.js';
import { PassportJwtGuard } from './http/passport/passport-jwt.guard.js';
import { PasswordsModule } from './passwords/passwords.module.js';
import { SessionCookies } from './http/session-cookies.js';
import { SessionChanges } from './sessions/session-changes.js';
import { SessionsRepository } from './sessions/sessions.repository.js';
import { SessionsService } from './sessions/sessions.service.js';
import { SessionsController } from './http/sessions.controller.js';
import { TokenController } from './http/token.controller.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { IdTokenKeys } from './tokens/id-token-keys.js';
import { SigningKeys } from './tokens/signing-keys.js';
import { SessionStatusCache } from './session-status.cache.js';

@Module({
  imports: [ApiTokensModule, UsersModule, PasswordsModule],
  controllers: [TokenController, MeController, SessionsController, JwksController],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    SigningKeys,
    IdTokenKeys,
    AccessTokens,
    AccessPrincipals,
    BrowserSessions,
    SessionStatusCache,
    SessionChanges,
    SessionCookies,
    SessionsService,
    SessionsRepository,
    LoginService,
    LoginThrottleRepository,
    JwtStrategy,
    PassportJwtGuard,
  ],
  exports: [SessionsService, SessionCookies, AccessTokens, AccessPrincipals, BrowserSessions, IdTokenKeys],
})
export class AuthModule {}
