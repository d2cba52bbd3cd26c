import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiTokensService } from '../api-tokens/api-tokens.service.js';
import { AppConfig } from '../config/app-config.js';
import { UsersService } from '../users/users.service.js';

/**
 * BOOTSTRAP_* settings: the first admin and the first API token, idempotent on every start. The admin is
 * created once; later starts leave the account alone (UsersService.createAdminIfAbsent).
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly apiTokens: ApiTokensService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword, apiToken } = this.config.bootstrap;
    if (adminEmail && adminPassword) {
      const admin = await this.users.createAdminIfAbsent(adminEmail, adminPassword);
      this.logger.log(
        admin.created
          ? `Admin ${admin.email} created`
          : `Account ${admin.email} exists (active: ${String(admin.isActive)}, admin: ${String(admin.isAdmin)}): ` +
              'left alone; BOOTSTRAP_ADMIN_* only creates an absent admin',
      );
    }
    if (apiToken) await this.apiTokens.registerBootstrapToken(apiToken);
  }
}
