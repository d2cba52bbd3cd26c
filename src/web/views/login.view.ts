import { html } from '../html.js';
import { layout } from './layout.js';

/** The sign-in form; the client script posts it to `POST /token?cookie=1` and then goes to `next`. */
/** `again`: the person is signed in, but an application asked for a fresh sign-in (OIDC prompt=login). */
export function loginPage(next: string, again = false): string {
  return layout({
    title: 'Sign in',
    script: 'login',
    body: html`<section class="card narrow" aria-labelledby="login-title">
      <h1 id="login-title">${again ? 'Sign in again' : 'Sign in'}</h1>
      ${again ? html`<p class="hint" id="login-again">The application asks you to confirm it is you.</p>` : ''}
      <form id="login-form" method="post" action="/login" data-next="${next}" novalidate>
        <p class="form-error" id="login-error" role="alert" tabindex="-1" hidden></p>
        <div class="field">
          <label for="username">Username or email</label>
          <input
            id="username"
            name="username"
            type="text"
            autocomplete="username"
            autocapitalize="none"
            spellcheck="false"
            required
            maxlength="320"
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="primary wide" id="login-submit">Sign in</button>
      </form>
    </section>`,
  });
}
