import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/decorators.js';
import { AppConfig } from '../../config/app-config.js';
import { BrowserSessions } from '../../auth/http/browser-sessions.js';
import { type PageAnswer, type PageRequest, PagesService } from '../pages.service.js';
import { sendPage } from './page-reply.js';

/**
 * The pages. Open to the guard (`@Public`) because a browser without a session must get the sign-in page
 * rather than a 401: each page checks the session cookies itself, through the same verifier as the API.
 */
@Public()
@ApiExcludeController()
@Controller()
export class PagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly browserSessions: BrowserSessions,
    private readonly config: AppConfig,
  ) {}

  @Get('login')
  async login(
    @Query('next') next: unknown,
    @Query('again') again: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.send(reply, this.pages.login(await this.pageRequest(request, reply), next, again === '1'));
  }

  @Get()
  async profile(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.profile(await this.pageRequest(request, reply)));
  }

  @Get('users')
  async directory(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.directory(await this.pageRequest(request, reply)));
  }

  @Get('tokens')
  async tokens(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.tokens(await this.pageRequest(request, reply)));
  }

  @Get('clients')
  async clients(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.clients(await this.pageRequest(request, reply)));
  }

  /** Who is signed in in this browser (its cookies, renewed here when only the refresh cookie is left). */
  private async pageRequest(request: FastifyRequest, reply: FastifyReply): Promise<PageRequest> {
    return { user: await this.browserSessions.resolve(request, reply), path: request.url };
  }

  private send(reply: FastifyReply, answer: PageAnswer): FastifyReply {
    if ('redirect' in answer) {
      // A redirect between pages: no more cacheable or leaky than the pages themselves.
      void reply.headers({ 'cache-control': 'no-store', 'referrer-policy': 'same-origin' });
      return reply.redirect(answer.redirect, 302);
    }
    return sendPage(reply, this.config, answer.status, answer.html);
  }
}
