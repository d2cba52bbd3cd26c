import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/decorators.js';
import { DomainError } from '../../common/errors.js';
import { WebAssets } from '../web-assets.js';

@Public()
@ApiExcludeController()
@Controller('assets')
export class AssetsController {
  constructor(private readonly assets: WebAssets) {}

  /** Revalidated on every use (`no-cache` + ETag): module imports inside the scripts carry no version. */
  @Get(':name')
  serve(
    @Param('name') name: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    const asset = this.assets.get(name);
    if (!asset) throw new DomainError('not_found', 'No such file');
    void reply.headers({ etag: asset.etag, 'cache-control': 'no-cache' });
    if (ifNoneMatch === asset.etag) return reply.status(304).send();
    return reply.type(asset.contentType).send(asset.body);
  }
}
