import { Module } from '@nestjs/common';
import { ApiTokensModule } from '../api-tokens/api-tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { BootstrapService } from './bootstrap.service.js';

@Module({ imports: [UsersModule, ApiTokensModule], providers: [BootstrapService] })
export class BootstrapModule {}
