import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { SsoEntry } from './http/sso-entry.js';
import { ReplayRepository } from './replay.repository.js';
import { SsoTokenVerifier } from './sso-token-verifier.js';
import { SsoController } from './http/sso.controller.js';
import { SsoService } from './sso.service.js';

@Module({
  imports: [AuthModule, UsersModule],
  controllers: [SsoController],
  providers: [SsoTokenVerifier, ReplayRepository, SsoService, SsoEntry],
  exports: [SsoEntry],
})
export class SsoModule {}
