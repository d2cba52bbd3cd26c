import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { ClientsController } from './http/clients.controller.js';
import { InteractionController } from './http/interaction.controller.js';
import { OidcEntry } from './http/oidc-entry.js';
import { OidcClientsRepository } from './oidc-clients.repository.js';
import { OidcClientsService } from './oidc-clients.service.js';
import { OidcConsentsRepository } from './oidc-consents.repository.js';
import { OidcConsents } from './oidc-consents.service.js';
import { AppsController } from './http/apps.controller.js';
import { OidcGrants } from './oidc-grants.service.js';
import { OidcPayloadsRepository } from './oidc-payloads.repository.js';
import { OidcProvider } from './oidc-provider.service.js';

@Module({
  imports: [AuthModule, UsersModule],
  controllers: [ClientsController, InteractionController, AppsController],
  providers: [
    OidcProvider,
    OidcPayloadsRepository,
    OidcClientsRepository,
    OidcClientsService,
    OidcGrants,
    OidcEntry,
    OidcConsentsRepository,
    OidcConsents,
  ],
  exports: [OidcEntry, OidcClientsService, OidcConsents],
})
export class OidcModule {}
