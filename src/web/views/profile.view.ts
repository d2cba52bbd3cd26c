import type { UserPrincipal } from '../../auth/principal.js';
import type { UserView } from '../../users/user.view.js';
import { html } from '../html.js';
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

/** The signed-in person's own account: who they are and how they got here. */
export function profilePage(principal: UserPrincipal, user: UserView): string {
  const name = `${user.first_name} ${user.last_name}`.trim();
  return layout({
    title: 'Profile',
    script: 'shell',
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
      </section>`,
  });
}
