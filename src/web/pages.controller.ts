import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators.js';
import { pageContentPolicy } from '../common/security-headers.js';
import { AppConfig } from '../config/app-config.js';
import { type PageAnswer, PagesService } from './pages.service.js';

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
    private readonly config: AppConfig,
  ) {}

  @Get('login')
  async login(
    @Query('next') next: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.send(reply, await this.pages.login(request, reply, next));
  }

  @Get()
  async profile(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.profile(request, reply));
  }

  @Get('users')
  async directory(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.directory(request, reply));
  }

  @Get('tokens')
  async tokens(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.send(reply, await this.pages.tokens(request, reply));
  }

  private send(reply: FastifyReply, answer: PageAnswer): FastifyReply {
    // Pages show personal data: never cached, never leaked to other sites through Referer.
    void reply.headers({ 'cache-control': 'no-store', 'referrer-policy': 'same-origin' });
    if ('redirect' in answer) return reply.redirect(answer.redirect, 302);
    return reply
      .status(answer.status)
      .headers({ 'content-security-policy': pageContentPolicy(this.config) })
      .type('text/html; charset=utf-8')
      .send(answer.html);
  }
}
