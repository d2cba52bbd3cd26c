import { Injectable } from '@nestjs/common';

type Listener = (sessionIds: readonly string[]) => void;

/**
 * Tells this process, before the HTTP answer, that sessions ended (logout, reuse, "sign out everywhere"):
 * the next request with one of their access tokens must fail here without waiting for our own NOTIFY.
 */
@Injectable()
export class SessionChanges {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): void {
    this.listeners.add(listener);
  }

  ended(sessionIds: readonly string[]): void {
    if (sessionIds.length === 0) return;
    for (const listener of this.listeners) listener(sessionIds);
  }
}
