import type { UserPrincipal } from '../../auth/principal.js';
import { html } from '../html.js';
import { layout } from './layout.js';

/** What a signed-in person who is not an administrator sees on an admin page (answered with 403). */
export function notAllowedPage(principal: UserPrincipal, what: string): string {
  return layout({
    title: 'Not allowed',
    script: 'shell',
    user: principal,
    body: html`<section class="card narrow" aria-labelledby="denied-title">
      <h1 id="denied-title">Not allowed</h1>
      <p>
        ${what} is for administrators. You are signed in as <strong>${principal.email}</strong>, who is not
        one.
      </p>
      <p><a href="/">Back to your profile</a></p>
    </section>`,
  });
}
