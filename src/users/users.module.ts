import { Module } from '@nestjs/common';
import { PasswordsModule } from '../auth/passwords/passwords.module.js';
import { SyncBodyPipe } from './http/sync-body.pipe.js';
import { UserChanges } from './user-changes.js';
import { UsersController } from './http/users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [PasswordsModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, SyncBodyPipe, UserChanges],
  exports: [UsersService, UsersRepository, UserChanges],
})
export class UsersModule {}
