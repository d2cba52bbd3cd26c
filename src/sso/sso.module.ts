import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { SsoEntry } from './sso-entry.js';
import { SsoLandingRepository } from './sso-landing.repository.js';
import { SsoTokenVerifier } from './sso-token-verifier.js';
import { SsoController } from './sso.controller.js';
import { SsoService } from './sso.service.js';

@Module({
  imports: [AuthModule],
  controllers: [SsoController],
  providers: [SsoTokenVerifier, SsoLandingRepository, SsoService, SsoEntry],
  exports: [SsoEntry],
})
export class SsoModule {}
