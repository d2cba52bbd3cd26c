import { Injectable } from '@nestjs/common';

type Listener = (userIds: readonly string[]) => void;

/**
 * Tells this process, synchronously and before the HTTP answer, that users changed. Other instances
 * learn it through PostgreSQL NOTIFY; this one must not wait for its own notification to come back,
 * or the request right after a deactivation could still pass.
 */
@Injectable()
export class UserChanges {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): void {
    this.listeners.add(listener);
  }

  changed(userIds: readonly string[]): void {
    if (userIds.length === 0) return;
    for (const listener of this.listeners) listener(userIds);
  }
}
