import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../../auth/http/current-principal.decorator.js';
import type { UserPrincipal } from '../../auth/principal.js';
import { OidcConsents } from '../oidc-consents.service.js';

interface AppView {
  client_id: string;
  name: string;
  scopes: string[];
  granted_at: string;
}

/** The applications the caller has let sign them in (contract §8: consent, revocable on the profile). */
@ApiTags('me')
@ApiBearerAuth()
@Controller('api/me/apps')
export class AppsController {
  constructor(private readonly consents: OidcConsents) {}

  @Get()
  @ApiOkResponse({ description: '{"apps": [{"client_id", "name", "scopes", "granted_at"}]}' })
  async list(@CurrentUser() user: UserPrincipal): Promise<{ apps: AppView[] }> {
    const apps = await this.consents.appsWithAccess(user.userId);
    return {
      apps: apps.map((app) => ({
        client_id: app.clientId,
        name: app.name,
        scopes: app.scopes,
        granted_at: app.grantedAt.toISOString(),
      })),
    };
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Take back an application’s access: its tokens for you stop working' })
  async revoke(@CurrentUser() user: UserPrincipal, @Param('clientId') clientId: string): Promise<void> {
    await this.consents.revoke(user.userId, clientId);
  }
}
