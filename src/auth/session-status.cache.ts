import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { UserChanges } from '../users/user-changes.js';
import { SessionChanges } from './sessions/session-changes.js';
import { SessionsRepository, type SessionStatus } from './sessions/sessions.repository.js';

const CHANNEL = 'latchkey_user_status';
// A safety net only: changes arrive by NOTIFY at once; the TTL bounds staleness if one were ever lost.
const TTL_MS = 60_000;
const MAX_ENTRIES = 100_000;
const RECONNECT_MS = 2_000;
// A LISTEN connection only receives, so a flow that a firewall or a failover dropped without closing it
// looks like a quiet one. A query every HEARTBEAT_MS proves it alive; the cache is trusted only while the
// last proof is recent, so a silently dead connection costs at most TRUSTED_FOR_MS of stale answers.
const HEARTBEAT_MS = 1_000;
const HEARTBEAT_TIMEOUT_MS = 1_000;
const TRUSTED_FOR_MS = HEARTBEAT_MS + HEARTBEAT_TIMEOUT_MS + 500;

interface Entry {
  status: SessionStatus | undefined;
  at: number;
}

/**
 * What an access token's session may do now (revoked? its user active? an admin?), without a query per
 * request. Entries are dropped the moment any instance (or anyone with SQL) changes a user or revokes a
 * session: triggers send NOTIFY `user:<id>` / `session:<id>` (migration SessionsTable), and every instance
 * LISTENs. While the LISTEN connection is down the cache is bypassed, so a missed notification can never
 * keep a revoked session or a deactivated user in.
 */
@Injectable()
export class SessionStatusCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionStatusCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly sessionsOfUser = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, Promise<SessionStatus | undefined>>();
  private listener?: pg.Client;
  private listening = false;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private lastAlive = 0;
  private beating = false;
  // Bumped by every change: a lookup that started before one must not cache its (maybe stale) answer.
  private epoch = 0;

  constructor(
    private readonly sessions: SessionsRepository,
    @InjectDataSource() private readonly db: DataSource,
    users: UserChanges,
    ended: SessionChanges,
  ) {
    users.subscribe((ids) => this.forgetUsers(ids));
    ended.subscribe((ids) => this.forgetSessions(ids));
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    await this.listener?.end().catch(() => undefined);
  }

  /** The session's status, or undefined when there is no such session. */
  async get(sessionId: string): Promise<SessionStatus | undefined> {
    const cached = this.entries.get(sessionId);
    if (this.trusted() && cached && Date.now() - cached.at < TTL_MS) return cached.status;
    const pending = this.inFlight.get(sessionId);
    if (pending) return pending;
    const startedIn = this.epoch;
    const lookup = this.sessions
      .statusOf(sessionId)
      .then((status) => {
        if (this.trusted() && startedIn === this.epoch) this.remember(sessionId, status);
        return status;
      })
      .finally(() => {
        if (this.inFlight.get(sessionId) === lookup) this.inFlight.delete(sessionId);
      });
    this.inFlight.set(sessionId, lookup);
    return lookup;
  }

  private remember(sessionId: string, status: SessionStatus | undefined): void {
    this.drop(sessionId);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.drop(oldest.value);
    }
    this.entries.set(sessionId, { status, at: Date.now() });
    if (!status) return;
    let ids = this.sessionsOfUser.get(status.userId);
    if (!ids) this.sessionsOfUser.set(status.userId, (ids = new Set()));
    ids.add(sessionId);
  }

  private drop(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    if (!entry.status) return;
    const ids = this.sessionsOfUser.get(entry.status.userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.sessionsOfUser.delete(entry.status.userId);
  }

  private forgetSessions(sessionIds: readonly string[]): void {
    this.epoch++;
    for (const id of sessionIds) {
      this.drop(id);
      this.inFlight.delete(id);
    }
  }

  private forgetUsers(userIds: readonly string[]): void {
    this.epoch++;
    // A lookup in flight for a session not indexed yet may belong to one of these users: none is joined.
    this.inFlight.clear();
    for (const userId of userIds) {
      for (const id of [...(this.sessionsOfUser.get(userId) ?? [])]) {
        this.drop(id);
        this.inFlight.delete(id);
      }
    }
  }

  private onNotification(payload: string | undefined): void {
    const [kind, id] = (payload ?? '').split(':');
    if (kind === 'session' && id) this.forgetSessions([id]);
    else if (kind === 'user' && id) this.forgetUsers([id]);
    else this.clear();
  }

  private clear(): void {
    this.epoch++;
    this.entries.clear();
    this.sessionsOfUser.clear();
    this.inFlight.clear();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString(),
      connectionTimeoutMillis: 3000,
      keepAlive: true,
    });
    client.on('notification', (message) => this.onNotification(message.payload));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
      // Anything cached before this point may have missed a notification.
      this.clear();
      this.listening = true;
      this.lastAlive = Date.now();
    } catch (error) {
      this.logger.warn(`Cannot LISTEN for user and session changes (${(error as Error).message}); retrying`);
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  private trusted(): boolean {
    return this.listening && Date.now() - this.lastAlive < TRUSTED_FOR_MS;
  }

  private async heartbeat(): Promise<void> {
    const client = this.listener;
    if (!client || this.beating) return;
    this.beating = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), HEARTBEAT_TIMEOUT_MS);
        }),
      ]);
      if (this.listener === client) this.lastAlive = Date.now();
    } catch (error) {
      this.logger.warn(`The LISTEN connection did not answer (${(error as Error).message})`);
      this.lost(client);
      void client.end().catch(() => undefined);
    } finally {
      clearTimeout(timer);
      this.beating = false;
    }
  }

  private lost(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    this.listening = false;
    this.clear();
    if (!this.closed) {
      this.logger.warn('Lost the LISTEN connection for user and session changes; reconnecting');
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
