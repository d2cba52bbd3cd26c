import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../decorators.js';
import { SigningKeys, type PublicJwk } from '../tokens/signing-keys.js';

@ApiTags('tokens')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  /** The public key(s) of our access tokens (RFC 7517); empty for HS256, whose key is secret. */
  @Public()
  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=300')
  jwks(): { keys: PublicJwk[] } {
    return this.keys.jwks;
  }
}
