import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from '../auth/principal.js';
import { toSessionView } from '../auth/sessions/session.view.js';
import { SessionsService } from '../auth/sessions/sessions.service.js';
import { safeNext } from '../common/safe-next.js';
import { AppConfig } from '../config/app-config.js';
import { toUserView } from '../users/user.view.js';
import { UsersService } from '../users/users.service.js';
import { clientsPage } from './views/clients.view.js';
import { directoryPage } from './views/directory.view.js';
import { loginPage } from './views/login.view.js';
import { notAllowedPage } from './views/not-allowed.view.js';
import { profilePage } from './views/profile.view.js';
import { tokensPage } from './views/tokens.view.js';
import { OidcConsents } from '../oidc/oidc-consents.service.js';

export type PageAnswer = { redirect: string } | { status: 200 | 403; html: string };

/** A page, given who (if anyone) is signed in in this browser and the path it was asked for. */
export interface PageRequest {
  user: UserPrincipal | undefined;
  path: string;
}

/**
 * Who may see which page: everyone signed in sees their profile; the directory, the API tokens and the
 * applications are for admins.
 */
@Injectable()
export class PagesService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly consents: OidcConsents,
    private readonly config: AppConfig,
  ) {}

  /** `again`: show the form to someone signed in (an application asked for a fresh sign-in). */
  login({ user }: PageRequest, next: unknown, again = false): PageAnswer {
    const target = (typeof next === 'string' && safeNext(next, this.config.publicUrl)) || '/';
    if (user && !again) return { redirect: target };
    return { status: 200, html: loginPage(target, Boolean(user) && again) };
  }

  profile(request: PageRequest): Promise<PageAnswer> {
    return this.page(request, async (user) => {
      const [account, sessions, apps] = await Promise.all([
        this.users.get(user.userId),
        this.sessions.list(user.userId),
        this.consents.appsWithAccess(user.userId),
      ]);
      return profilePage(
        user,
        toUserView(account),
        sessions.map((session) => toSessionView(session, user.sessionId)),
        apps,
      );
    });
  }

  directory(request: PageRequest): Promise<PageAnswer> {
    return this.page(request, directoryPage, 'The directory');
  }

  tokens(request: PageRequest): Promise<PageAnswer> {
    return this.page(request, tokensPage, 'Managing API tokens');
  }

  clients(request: PageRequest): Promise<PageAnswer> {
    return this.page(request, clientsPage, 'Managing applications');
  }

  /** Signed out → the sign-in page (and back here after); `adminsOnly` names the page for the 403. */
  private async page(
    { user, path }: PageRequest,
    render: (user: UserPrincipal) => string | Promise<string>,
    adminsOnly?: string,
  ): Promise<PageAnswer> {
    if (!user) return { redirect: signInUrl(path) };
    if (adminsOnly !== undefined && !user.isAdmin) {
      return { status: 403, html: notAllowedPage(user, adminsOnly) };
    }
    return { status: 200, html: await render(user) };
  }
}

/** The sign-in page, coming back here afterwards. */
function signInUrl(here: string): string {
  return here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}
