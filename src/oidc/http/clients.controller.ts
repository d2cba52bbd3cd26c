import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../../auth/decorators.js';
import { CreateClientDto, UpdateClientDto } from '../dto/client.dto.js';
import { CreatedOidcClientView, OidcClientView, toOidcClientView } from '../oidc-client.view.js';
import { OidcClientsService } from '../oidc-clients.service.js';

/** Admins register the applications that sign their users in through Latchkey (contract §8). */
@ApiTags('oidc clients')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/clients')
export class ClientsController {
  constructor(private readonly clients: OidcClientsService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedOidcClientView })
  async create(@Body() body: CreateClientDto): Promise<CreatedOidcClientView> {
    const { client, secret } = await this.clients.create({
      name: body.name,
      type: body.type,
      redirectUris: body.redirect_uris,
      postLogoutRedirectUris: body.post_logout_redirect_uris,
      firstParty: body.first_party,
      scopes: body.scopes,
    });
    return { ...toOidcClientView(client), ...(secret === undefined ? {} : { client_secret: secret }) };
  }

  @Get()
  @ApiOkResponse({ type: [OidcClientView] })
  async list(): Promise<OidcClientView[]> {
    return (await this.clients.list()).map(toOidcClientView);
  }

  @Get(':id')
  @ApiOkResponse({ type: OidcClientView })
  async get(@Param('id') id: string): Promise<OidcClientView> {
    return toOidcClientView(await this.clients.get(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: OidcClientView })
  async update(@Param('id') id: string, @Body() body: UpdateClientDto): Promise<OidcClientView> {
    return toOidcClientView(
      await this.clients.update(id, {
        name: body.name,
        redirectUris: body.redirect_uris,
        postLogoutRedirectUris: body.post_logout_redirect_uris,
        firstParty: body.first_party,
        scopes: body.scopes,
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    await this.clients.delete(id);
  }
}
