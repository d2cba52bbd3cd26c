import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/decorators.js';
import { AppConfig } from '../../config/app-config.js';
import { SsoEntry } from './sso-entry.js';

@ApiTags('sso')
@Controller('sso')
export class SsoController {
  constructor(
    private readonly entry: SsoEntry,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Get('login')
  @ApiOperation({ summary: "Sign in with a partner application's JWT, then redirect to `next` or /" })
  async login(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const token = query[this.config.sso.tokenParam];
    const next = typeof query.next === 'string' ? query.next : undefined;
    return this.entry.complete(request, reply, typeof token === 'string' ? token : '', next, '/');
  }
}
