import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { UserChanges } from '../users/user-changes.js';
import { UsersService } from '../users/users.service.js';

export interface UserStatus {
  isActive: boolean;
  isAdmin: boolean;
}

const CHANNEL = 'latchkey_user_status';
// A safety net only: changes arrive by NOTIFY at once; the TTL bounds staleness if one were ever lost.
const TTL_MS = 60_000;
const RECONNECT_MS = 2_000;

/**
 * Whether a token's user still exists, is active and is an admin, without a database query per request.
 * Entries are dropped the moment any instance (or anyone with SQL) changes a user: a trigger on `users`
 * sends NOTIFY, and every instance LISTENs. While the LISTEN connection is down the cache is bypassed,
 * so a missed notification can never keep a deactivated user in.
 */
@Injectable()
export class UserStatusCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UserStatusCache.name);
  private readonly entries = new Map<string, { status: UserStatus | undefined; at: number }>();
  private readonly inFlight = new Map<string, Promise<UserStatus | undefined>>();
  private listener?: pg.Client;
  private listening = false;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  // Bumped by every notification: a lookup that started before one must not cache its (maybe stale) answer.
  private epoch = 0;

  constructor(
    private readonly users: UsersService,
    @InjectDataSource() private readonly db: DataSource,
    changes: UserChanges,
  ) {
    changes.subscribe((ids) => this.forget(ids));
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
  }

  /** The user's status, or undefined when the user no longer exists. */
  async get(userId: string): Promise<UserStatus | undefined> {
    const cached = this.entries.get(userId);
    if (this.listening && cached && Date.now() - cached.at < TTL_MS) return cached.status;
    const pending = this.inFlight.get(userId);
    if (pending) return pending;
    const startedIn = this.epoch;
    const lookup = this.users
      .statusOf(userId)
      .then((status) => {
        if (this.listening && startedIn === this.epoch) this.entries.set(userId, { status, at: Date.now() });
        return status;
      })
      .finally(() => {
        if (this.inFlight.get(userId) === lookup) this.inFlight.delete(userId);
      });
    this.inFlight.set(userId, lookup);
    return lookup;
  }

  private forget(userIds: readonly string[]): void {
    this.epoch++;
    for (const id of userIds) {
      this.entries.delete(id);
      this.inFlight.delete(id);
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString(),
      connectionTimeoutMillis: 3000,
    });
    client.on('notification', (message) => this.forget(message.payload ? [message.payload] : []));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
      // Anything cached before this point may have missed a notification.
      this.entries.clear();
      this.epoch++;
      this.listening = true;
    } catch (error) {
      this.logger.warn(`Cannot LISTEN for user changes (${(error as Error).message}); retrying`);
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  private lost(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    this.listening = false;
    this.entries.clear();
    if (!this.closed) {
      this.logger.warn('Lost the LISTEN connection for user changes; reconnecting');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private connectionString(): string {
    const url = (this.db.options as { url?: string }).url;
    if (!url) throw new Error('The data source has no URL');
    return url;
  }
}
