import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from './decorators.js';
import { LoginDto, RefreshDto } from './dto/login.dto.js';
import { LoginService } from './login/login.service.js';
import { SessionCookies } from './session-cookies.js';
import { SessionsService, type TokenPair } from './sessions/sessions.service.js';

/** `POST /token`, `/token/refresh`, `/logout` (contract §3): the Flask-JWT-Extended flow. */
@ApiTags('tokens')
@Controller()
export class TokenController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
    private readonly cookies: SessionCookies,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in with username or email and password; ?cookie=1 also sets session cookies',
  })
  async issue(
    @Body() body: LoginDto,
    @Query('cookie') cookie: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    const pair = await this.login.login(body.username ?? body.email ?? '', body.password, request.ip);
    if (wantsCookies(request, cookie)) this.cookies.set(reply, pair);
    void reply.header('cache-control', 'no-store');
    return pair;
  }

  @Public()
  @Post('token/refresh')
  @HttpCode(200)
  @ApiOkResponse({ description: 'A new token pair; the presented refresh token is spent' })
  async refresh(
    @Body() body: RefreshDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    const fromCookie = body.refresh_token === undefined;
    if (fromCookie) this.cookies.assertCsrf(request);
    const pair = await this.sessions.refresh(body.refresh_token ?? this.cookies.refreshToken(request) ?? '');
    if (fromCookie) this.cookies.set(reply, pair);
    void reply.header('cache-control', 'no-store');
    return pair;
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke the presented refresh token's session and clear the cookies" })
  async logout(
    @Body() body: RefreshDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const cookieToken = this.cookies.refreshToken(request);
    if (body.refresh_token === undefined && cookieToken !== undefined) this.cookies.assertCsrf(request);
    await this.sessions.end(body.refresh_token ?? cookieToken);
    this.cookies.clear(reply);
  }
}

function wantsCookies(request: FastifyRequest, cookie: string | undefined): boolean {
  return cookie === '1' || cookie === 'true' || request.headers['x-session'] === 'cookie';
}
