import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBody, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScope } from '../../auth/decorators.js';
import { CurrentPrincipal } from '../../auth/http/current-principal.decorator.js';
import type { Principal } from '../../auth/principal.js';
import { BULK_BODY } from '../../common/http/body-limits.js';
import { AppConfig } from '../../config/app-config.js';
import { ListUsersQuery } from '../dto/list-users.query.js';
import { PatchUserDto, SyncUserDto } from '../dto/sync-user.dto.js';
import { SyncBodyPipe } from './sync-body.pipe.js';
import type { SyncInput } from '../sync-input.js';
import { SyncResultView, toUserView, UserPageView, UserView } from '../user.view.js';
import { UsersService, type Writer } from '../users.service.js';

@ApiTags('users')
@ApiSecurity('token')
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @RequireScope('users:write')
  @RouteConfig(BULK_BODY)
  @ApiOperation({
    summary: 'Create or update users by email: one object (201/200) or an array of up to 10,000',
  })
  @ApiBody({ type: [SyncUserDto] })
  async sync(
    @Body(SyncBodyPipe) input: SyncInput,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserView | SyncResultView> {
    const result = await this.users.sync(input, writerOf(principal));
    if (input.bulk) {
      const { created, updated, unchanged } = result;
      return { created, updated, unchanged, users: result.users.map(({ user }) => toUserView(user)) };
    }
    const [{ user, status }] = result.users;
    if (status === 'created') void reply.status(201);
    return toUserView(user);
  }

  @Get()
  @RequireScope('users:read')
  @ApiOkResponse({ type: UserPageView })
  async list(@Query() query: ListUsersQuery): Promise<UserPageView> {
    const page = query.page ?? 1;
    const pageSize = query.page_size ?? 50;
    const { count, estimated, users } = await this.users.list(query.search, page, pageSize);
    const link = (to: number): string => {
      const params = new URLSearchParams({ page: String(to), page_size: String(pageSize) });
      if (query.search) params.set('search', query.search);
      return `${this.config.publicUrl}/api/users?${params.toString()}`;
    };
    return {
      count,
      ...(estimated ? { count_is_estimate: true } : {}),
      // An estimate can be off near the end; a full page is then the sign that more may follow.
      next: (estimated ? users.length === pageSize : page * pageSize < count) ? link(page + 1) : null,
      previous: page > 1 ? link(Math.min(page - 1, Math.max(1, Math.ceil(count / pageSize)))) : null,
      results: users.map(toUserView),
    };
  }

  @Get(':id')
  @RequireScope('users:read')
  @ApiOkResponse({ type: UserView })
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<UserView> {
    return toUserView(await this.users.get(id));
  }

  @Patch(':id')
  @RequireScope('users:write')
  @ApiOkResponse({ type: UserView })
  async update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() patch: PatchUserDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UserView> {
    return toUserView(await this.users.update(id, patch, writerOf(principal)));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('users:write')
  @ApiOperation({ summary: 'Deactivate a user (the row stays; logins and tokens stop working)' })
  async deactivate(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.users.deactivate(id, writerOf(principal));
  }
}

/** The guard let only admins and API tokens with the scope through: anyone else would not be here. */
function writerOf(principal: Principal): Writer {
  return principal.kind === 'api_token' ? 'api_token' : 'admin';
}
