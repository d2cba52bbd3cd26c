import { Injectable } from '@nestjs/common';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { DomainError } from '../../../common/errors.js';
import type { UserPrincipal } from '../../principal.js';
import { BEARER_CHALLENGE, invalid } from '../../tokens/access-tokens.js';

/** Runs the `jwt` strategy and turns its failures into the same coded errors as the fast-jwt path. */
@Injectable()
export class PassportJwtGuard extends PassportAuthGuard('jwt') {
  override handleRequest<TUser = UserPrincipal>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error instanceof Error) throw error;
    if (error) throw new Error('The jwt strategy failed');
    if (user) return user;
    if ((info as { name?: string } | undefined)?.name === 'TokenExpiredError') {
      throw new DomainError('token_expired', 'The access token expired', undefined, {
        'WWW-Authenticate': `${BEARER_CHALLENGE}, error_description="The access token expired"`,
      });
    }
    throw invalid('Invalid access token');
  }
}
