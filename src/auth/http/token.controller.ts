import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../decorators.js';
import { LoginDto, RefreshDto } from '../dto/login.dto.js';
import { LoginService } from '../login/login.service.js';
import { SessionCookies } from './session-cookies.js';
import type { SignedIn } from '../sessions/sessions.service.js';
import { SessionsService } from '../sessions/sessions.service.js';

/** What `POST /token` and `POST /token/refresh` answer (contract §3). */
export interface TokenPair {
  token: string;
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  user_id: string;
}

/** The answer when the tokens went into HttpOnly cookies: script on the page never sees their values. */
export interface CookieSession {
  token_type: 'Bearer';
  expires_in: number;
  user_id: string;
}

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
    summary: 'Log in with username or email and password; ?cookie=1 sets session cookies instead',
  })
  async issue(
    @Body() body: LoginDto,
    @Query('cookie') cookie: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair | CookieSession> {
    const signedIn = await this.login.login({
      identifier: body.username ?? body.email ?? '',
      password: body.password,
      clientAddress: request.ip,
      userAgent: request.headers['user-agent'],
    });
    void reply.header('cache-control', 'no-store');
    if (wantsCookies(request, cookie)) return this.toCookies(reply, signedIn);
    return tokenPair(signedIn);
  }

  @Public()
  @Post('token/refresh')
  @HttpCode(200)
  @ApiOkResponse({ description: 'A new token pair; the presented refresh token is spent' })
  async refresh(
    @Body() body: RefreshDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair | CookieSession> {
    const cookieToken = this.cookies.refreshToken(request);
    const fromCookie = body.refresh_token === undefined && cookieToken !== undefined;
    // The CSRF rule guards a cookie that the browser sends by itself; no token at all is a plain 401.
    if (fromCookie) this.cookies.assertCsrf(request);
    const signedIn = await this.sessions.refresh(body.refresh_token ?? cookieToken ?? '');
    void reply.header('cache-control', 'no-store');
    if (fromCookie) return this.toCookies(reply, signedIn);
    return tokenPair(signedIn);
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

  private toCookies(reply: FastifyReply, signedIn: SignedIn): CookieSession {
    this.cookies.set(reply, signedIn);
    return { token_type: 'Bearer', expires_in: signedIn.expiresIn, user_id: signedIn.userId };
  }
}

export function tokenPair(signedIn: SignedIn): TokenPair {
  return {
    token: signedIn.accessToken,
    access_token: signedIn.accessToken,
    token_type: 'Bearer',
    expires_in: signedIn.expiresIn,
    refresh_token: signedIn.refreshToken,
    user_id: signedIn.userId,
  };
}

function wantsCookies(request: FastifyRequest, cookie: string | undefined): boolean {
  return cookie === '1' || cookie === 'true' || request.headers['x-session'] === 'cookie';
}
