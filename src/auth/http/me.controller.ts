import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { toUserView, UserView } from '../../users/user.view.js';
import { UsersService } from '../../users/users.service.js';
import { CurrentUser } from './current-principal.decorator.js';
import type { UserPrincipal } from '../principal.js';

@ApiTags('me')
@ApiBearerAuth()
@Controller()
export class MeController {
  constructor(private readonly users: UsersService) {}

  /** The Flask-JWT-Extended example's route: who the token says you are, without a database read. */
  @Get('protected')
  @ApiOkResponse({ schema: { example: { id: 'uuid', username: 'ada', email: 'ada@example.com' } } })
  whoAmI(@CurrentUser() user: UserPrincipal): { id: string; username: string; email: string } {
    return { id: user.userId, username: user.username, email: user.email };
  }

  @Get('api/me')
  @ApiOkResponse({ type: UserView })
  async me(@CurrentUser() user: UserPrincipal): Promise<UserView> {
    return toUserView(await this.users.get(user.userId));
  }
}
