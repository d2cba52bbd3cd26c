import type { UserPrincipal } from '../../auth/principal.js';
import type { SessionView } from '../../auth/sessions/session.view.js';
import type { AppWithAccess } from '../../oidc/oidc-consents.repository.js';
import type { UserView } from '../../users/user.view.js';
import { html, type SafeHtml } from '../html.js';
import { layout } from './layout.js';

const SIGN_IN_METHOD = {
  password: 'With a password',
  sso: 'By single sign-on from a partner application',
} as const;

const ACCOUNT_SOURCE = {
  local: 'Created in Latchkey',
  sso: 'Created at a first single sign-on',
  sync: 'Synced from another system',
} as const;

/** The signed-in person's own account: who they are, how they got here, and where else they are signed in. */
export function profilePage(
  principal: UserPrincipal,
  user: UserView,
  sessions: SessionView[],
  apps: AppWithAccess[],
): string {
  const name = `${user.first_name} ${user.last_name}`.trim();
  return layout({
    title: 'Profile',
    script: 'profile',
    user: principal,
    active: 'profile',
    body: html`<h1>${name || user.email}</h1>
      <section class="card" aria-labelledby="account-title">
        <h2 id="account-title">Your account</h2>
        <dl class="facts" id="profile">
          <dt>Name</dt>
          <dd data-field="name">${name || '—'}</dd>
          <dt>Email</dt>
          <dd data-field="email">${user.email}</dd>
          <dt>Username</dt>
          <dd data-field="username">${user.username}</dd>
          <dt>Signed in</dt>
          <dd data-field="sign-in-method">
            ${principal.signInMethod ? SIGN_IN_METHOD[principal.signInMethod] : '—'}
          </dd>
          <dt>Last sign-in</dt>
          <dd data-field="last-login">
            ${
              user.last_login_at
                ? html`<time datetime="${user.last_login_at}">${user.last_login_at}</time>`
                : 'Never'
            }
          </dd>
          <dt>Account</dt>
          <dd data-field="source">
            ${ACCOUNT_SOURCE[user.source]}${user.is_admin ? ' · administrator' : ''}
          </dd>
        </dl>
      </section>
      ${sessionsSection(sessions)} ${appsSection(apps)}`,
  });
}

function sessionsSection(sessions: SessionView[]): SafeHtml {
  const others = sessions.filter((session) => !session.current).length;
  return html`<section class="card" aria-labelledby="sessions-title">
    <h2 id="sessions-title">Where you're signed in</h2>
    <ul class="sessions" id="sessions">
      ${sessions.map(
        (session) =>
          html`<li data-session-id="${session.id}">
            <div>
              <strong>${describeAgent(session.user_agent)}</strong
              >${session.current ? html` <span class="badge">This browser</span>` : ''}
              <div class="muted">
                ${SIGN_IN_METHOD[session.method]} · signed in
                <time datetime="${session.started_at}">${session.started_at}</time> · last active
                <time datetime="${session.last_used_at}">${session.last_used_at}</time>
              </div>
            </div>
            ${session.current ? '' : html`<button type="button" class="quiet" data-end-session="${session.id}">Sign out</button>`}
          </li>`,
      )}
    </ul>
    <p class="form-error" id="sessions-error" role="alert" hidden></p>
    ${others > 0 ? html`<button type="button" id="end-other-sessions">Sign out everywhere else</button>` : ''}
  </section>`;
}

/** The applications the person has let sign them in through Latchkey (consent), each revocable. */
function appsSection(apps: AppWithAccess[]): SafeHtml {
  return html`<section class="card" aria-labelledby="apps-title">
    <h2 id="apps-title">Apps with access</h2>
    <ul class="sessions" id="apps">
      ${apps.map(
        (app) =>
          html`<li data-client-id="${app.clientId}">
            <div>
              <strong>${app.name}</strong>
              <div class="muted">
                Sees ${app.scopes.join(', ')} · allowed
                <time datetime="${app.grantedAt.toISOString()}">${app.grantedAt.toISOString()}</time>
              </div>
            </div>
            <button type="button" class="quiet" data-revoke-app="${app.clientId}">Remove access</button>
          </li>`,
      )}
    </ul>
    ${apps.length === 0 ? html`<p class="muted" id="apps-empty">No application has access.</p>` : ''}
    <p class="form-error" id="apps-error" role="alert" hidden></p>
  </section>`;
}

// Order matters: Edge's User-Agent also names Chrome and Safari, Chrome's also names Safari.
const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/Firefox\//, 'Firefox'],
  [/Chrome\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Windows/, 'Windows'],
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Mac OS X/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** A short name for a device from its User-Agent ("Firefox on Linux"); the raw string when none fits. */
function describeAgent(agent: string): string {
  if (!agent) return 'An unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return agent.length > 80 ? `${agent.slice(0, 77)}…` : agent;
}
