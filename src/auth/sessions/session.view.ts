import type { SignInMethod } from '../tokens/access-tokens.js';
import type { Session } from './session.entity.js';

export interface SessionView {
  id: string;
  method: SignInMethod;
  user_agent: string;
  started_at: string;
  last_used_at: string;
  /** The session of the request that asked. */
  current: boolean;
}

export interface SessionListView {
  sessions: SessionView[];
}

export function toSessionView(session: Session, currentId: string): SessionView {
  return {
    id: session.id,
    method: session.signInMethod,
    user_agent: session.userAgent,
    started_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    current: session.id === currentId,
  };
}
