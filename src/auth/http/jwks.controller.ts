import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../decorators.js';
import { IdTokenKeys, type IdTokenJwk } from '../tokens/id-token-keys.js';
import { SigningKeys, type PublicJwk } from '../tokens/signing-keys.js';

@ApiTags('tokens')
@Controller('.well-known')
export class JwksController {
  private readonly published: { keys: (PublicJwk | IdTokenJwk)[] };

  constructor(keys: SigningKeys, idTokenKeys: IdTokenKeys) {
    this.published = {
      keys: [...keys.jwks.keys, ...(idTokenKeys.publicJwk ? [idTokenKeys.publicJwk] : [])],
    };
  }

  /**
   * The public keys of our access tokens (none for HS256, whose key is secret) and of the ID tokens of the
   * OpenID Provider (RFC 7517).
   */
  @Public()
  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=300')
  jwks(): { keys: (PublicJwk | IdTokenJwk)[] } {
    return this.published;
  }
}
