import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { UsersModule } from '../users/users.module.js';
import { AssetsController } from './http/assets.controller.js';
import { PagesController } from './http/pages.controller.js';
import { PagesService } from './pages.service.js';
import { WebAssets } from './web-assets.js';

/** Latchkey's own pages: sign-in, profile, the directory and API tokens, served by the same app. */
@Module({
  imports: [AuthModule, UsersModule, OidcModule],
  controllers: [PagesController, AssetsController],
  providers: [PagesService, WebAssets],
})
export class WebModule {}
