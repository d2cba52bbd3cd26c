import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../../auth/decorators.js';
import { CurrentUser } from '../../auth/http/current-principal.decorator.js';
import type { UserPrincipal } from '../../auth/principal.js';
import { toApiTokenView, type ApiTokenView, CreatedApiTokenView } from '../api-token.view.js';
import { ApiTokensService } from '../api-tokens.service.js';
import { CreateApiTokenDto } from '../dto/create-api-token.dto.js';

/** Admins manage the API tokens of automations; an API token can never mint another. */
@ApiTags('api tokens')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/tokens')
export class ApiTokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedApiTokenView })
  async create(
    @Body() body: CreateApiTokenDto,
    @CurrentUser() admin: UserPrincipal,
  ): Promise<CreatedApiTokenView> {
    const { token, value } = await this.tokens.create(
      body.name.trim(),
      [...new Set(body.scopes)],
      admin.userId,
    );
    return { ...toApiTokenView(token), token: value };
  }

  @Get()
  @ApiOkResponse({ type: [CreatedApiTokenView] })
  async list(): Promise<ApiTokenView[]> {
    return (await this.tokens.list()).map(toApiTokenView);
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.tokens.revoke(id);
  }
}
