import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { Algorithm } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../../config/app-config.js';
import type { UserPrincipal } from '../../principal.js';
import { SessionCookies } from '../session-cookies.js';
import {
  type AccessClaims,
  type AccessTokenHeader,
  AccessTokens,
  invalid,
} from '../../tokens/access-tokens.js';
import { SigningKeys } from '../../tokens/signing-keys.js';
import { AccessPrincipals } from '../../access-principals.js';

interface CompleteJwt {
  header: AccessTokenHeader;
  payload: AccessClaims;
}

/**
 * The passport-jwt strategy (`JWT_VERIFIER=passport`): the same checks as the default fast-jwt path
 * (pinned algorithm, issuer, `typ`, user status) through the Passport ecosystem, for deployments that
 * want it. Given a KeyObject built once, never a string secret (jsonwebtoken re-parses strings each call).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: SigningKeys,
    config: AppConfig,
    private readonly principals: AccessPrincipals,
    private readonly tokens: AccessTokens,
    cookies: SessionCookies,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([
        ExtractJwt.fromAuthHeaderAsBearerToken(),
        (request: FastifyRequest) => cookies.accessToken(request) ?? null,
      ]),
      // jsonwebtoken 9 takes KeyObjects; @types/passport-jwt predates that and only knows string | Buffer.
      secretOrKey: keys.verificationKey as unknown as Buffer,
      // EdDSA is refused with JWT_VERIFIER=passport at boot: jsonwebtoken does not implement it.
      algorithms: [keys.algorithm as Algorithm],
      issuer: config.jwt.issuer,
      jsonWebTokenOptions: { complete: true, maxAge: `${config.jwt.accessTtl}s` },
    });
  }

  validate(decoded: CompleteJwt): Promise<UserPrincipal> {
    const { header, payload } = decoded;
    if (!this.tokens.isOurs(header, payload)) throw invalid('Invalid access token');
    return this.principals.fromClaims(payload);
  }
}
