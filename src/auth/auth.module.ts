import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiTokensModule } from '../api-tokens/api-tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessPrincipals } from './access-principals.js';
import { AuthGuard } from './auth.guard.js';
import { BrowserSessions } from './browser-sessions.js';
import { JwksController } from './jwks.controller.js';
import { LoginRepository } from './login/login.repository.js';
import { LoginService } from './login/login.service.js';
import { MeController } from './me.controller.js';
import { JwtStrategy } from './passport/jwt.strategy.js';
import { PassportJwtGuard } from './passport/passport-jwt.guard.js';
import { PasswordsModule } from './passwords/passwords.module.js';
import { SessionCookies } from './session-cookies.js';
import { RefreshTokensRepository } from './sessions/refresh-tokens.repository.js';
import { SessionsService } from './sessions/sessions.service.js';
import { TokenController } from './token.controller.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { SigningKeys } from './tokens/signing-keys.js';
import { UserStatusCache } from './user-status.cache.js';

@Module({
  imports: [ApiTokensModule, UsersModule, PasswordsModule],
  controllers: [TokenController, MeController, JwksController],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    SigningKeys,
    AccessTokens,
    AccessPrincipals,
    BrowserSessions,
    UserStatusCache,
    SessionCookies,
    SessionsService,
    RefreshTokensRepository,
    LoginService,
    LoginRepository,
    JwtStrategy,
    PassportJwtGuard,
  ],
  exports: [SessionsService, SessionCookies, AccessTokens, BrowserSessions],
})
export class AuthModule {}
