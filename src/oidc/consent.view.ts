import type { UserPrincipal } from '../auth/principal.js';
import { html } from '../web/html.js';
import { layout } from '../web/views/layout.js';

/** What each scope lets an application see, in words (contract §8 claims). */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'who you are on Latchkey (an identifier)',
  profile: 'your name and username',
  email: 'your email address',
  groups: 'the groups you belong to',
  offline_access: 'access while you are away (it can refresh its access)',
};

export function consentPage(
  user: UserPrincipal,
  uid: string,
  clientName: string,
  scopes: readonly string[],
): string {
  return layout({
    title: `Allow ${clientName}?`,
    script: 'consent',
    user,
    body: html`<section class="card narrow" id="consent" data-uid="${uid}">
      <h1>Allow <strong>${clientName}</strong> to sign you in?</h1>
      <p>Signed in as <strong>${user.email}</strong>. ${clientName} will see:</p>
      <ul id="consent-scopes">
        ${scopes.map((scope) => html`<li data-scope="${scope}">${SCOPE_WORDS[scope] ?? scope}</li>`)}
      </ul>
      <p class="hint">You can take this back on your profile page, under "Apps with access".</p>
      <p class="error" id="consent-error" role="alert" hidden></p>
      <div class="actions">
        <button type="button" id="consent-allow">Allow</button>
        <button type="button" class="quiet" id="consent-deny">Deny</button>
      </div>
    </section>`,
  });
}
