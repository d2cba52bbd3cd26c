import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors.js';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Throws `database_unavailable` (503) unless the database answers within two seconds. */
  async assertDatabaseAnswers(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.db.query('SELECT 1'), timeout]);
    } catch {
      throw new DomainError('database_unavailable', 'The database does not answer', undefined, {
        'Retry-After': '5',
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
