import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from './current-principal.decorator.js';
import type { UserPrincipal } from '../principal.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { type SessionListView, toSessionView } from '../sessions/session.view.js';

/** The caller's own sessions (contract §3): where they are signed in, and signing out elsewhere. */
@ApiTags('me')
@ApiBearerAuth()
@Controller('api/me/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOkResponse({ description: 'The active sessions, most recently used first' })
  async list(@CurrentUser() user: UserPrincipal): Promise<SessionListView> {
    const sessions = await this.sessions.list(user.userId);
    return { sessions: sessions.map((session) => toSessionView(session, user.sessionId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of your sessions (its refresh and access tokens stop working)' })
  async endOne(@CurrentUser() user: UserPrincipal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.sessions.endOne(user.userId, id);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session but this one' })
  async endOthers(@CurrentUser() user: UserPrincipal): Promise<void> {
    await this.sessions.endOthers(user.userId, user.sessionId);
  }
}
