import { API_TOKEN_SCOPES } from '../../api-tokens/api-token.entity.js';
import type { UserPrincipal } from '../../auth/principal.js';
import { html } from '../html.js';
import { confirmDialog } from './confirm-dialog.view.js';
import { layout } from './layout.js';

const SCOPE_HELP: Record<(typeof API_TOKEN_SCOPES)[number], string> = {
  'users:read': 'list and read users',
  'users:write': 'create, update and deactivate users (includes reading)',
};

/** API tokens for automations: create (the value is shown once), list, revoke. */
export function tokensPage(principal: UserPrincipal): string {
  return layout({
    title: 'API tokens',
    script: 'tokens',
    user: principal,
    active: 'tokens',
    body: html`<h1>API tokens</h1>
      <section class="card" aria-labelledby="new-token-title">
        <h2 id="new-token-title">New token</h2>
        <form id="token-form" novalidate>
          <p class="form-error" id="token-form-error" role="alert" hidden></p>
          <div class="field">
            <label for="token-name">Name <span class="hint">(what uses it, e.g. hr-sync)</span></label>
            <input id="token-name" name="name" required maxlength="100" autocomplete="off" />
          </div>
          <fieldset class="field">
            <legend>Scopes</legend>
            ${API_TOKEN_SCOPES.map(
              (scope) =>
                html`<label class="check"
                  ><input
                    type="checkbox"
                    name="scopes"
                    value="${scope}"
                    ${scope === 'users:write' ? html` checked` : ''}
                  />
                  <code>${scope}</code> <span class="hint">${SCOPE_HELP[scope]}</span></label
                >`,
            )}
          </fieldset>
          <button type="submit" class="primary" id="token-submit">Create token</button>
        </form>
        <div id="created-token" class="created" hidden tabindex="-1">
          <p><strong>Copy this token now.</strong> It is shown only once; Latchkey keeps only its hash.</p>
          <div class="secret">
            <label for="created-token-value" class="visually-hidden">New token value</label>
            <input id="created-token-value" readonly spellcheck="false" />
            <button type="button" id="copy-token">Copy</button>
          </div>
          <p class="status" id="copy-status" role="status" aria-live="polite"></p>
        </div>
      </section>
      <section aria-labelledby="active-tokens-title">
        <h2 id="active-tokens-title">Active tokens</h2>
        <p class="status" id="status" role="status" aria-live="polite"></p>
        <div class="table-wrap">
          <table id="tokens" class="records">
            <caption class="visually-hidden">
              Active API tokens
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody></tbody>
          </table>
        </div>
      </section>

      ${confirmDialog('Revoke token', 'Revoke')}`,
  });
}
