import type { UserPrincipal } from '../../auth/principal.js';
import { OIDC_SCOPES } from '../../oidc/oidc-scopes.js';
import { html } from '../html.js';
import { confirmDialog } from './confirm-dialog.view.js';
import { layout } from './layout.js';

const SCOPE_HELP: Record<(typeof OIDC_SCOPES)[number], string> = {
  openid: 'signing in itself (always)',
  profile: 'name and username',
  email: 'email address',
  groups: 'group memberships',
  offline_access: 'refresh tokens: stays signed in',
};

/**
 * The applications that sign people in through Latchkey (OpenID Connect clients): register one (its secret
 * is shown once), list, edit the name, redirect URIs and first-party flag, delete.
 */
export function clientsPage(principal: UserPrincipal): string {
  return layout({
    title: 'Applications',
    script: 'clients',
    user: principal,
    active: 'clients',
    body: html`<h1>Applications</h1>
      <p>Applications that sign people in through Latchkey with OpenID Connect.</p>
      <section class="card" aria-labelledby="new-client-title">
        <h2 id="new-client-title">New application</h2>
        <form id="client-form" novalidate>
          <p class="form-error" id="client-form-error" role="alert" hidden></p>
          <div class="field">
            <label for="client-name"
              >Name <span class="hint">(people see it on the consent page)</span></label
            >
            <input id="client-name" name="name" required maxlength="200" autocomplete="off" />
          </div>
          <fieldset class="field">
            <legend>Type</legend>
            <label class="check"
              ><input type="radio" name="type" value="confidential" id="client-type-confidential" checked />
              Confidential <span class="hint">runs on a server and keeps a client secret</span></label
            >
            <label class="check"
              ><input type="radio" name="type" value="public" id="client-type-public" /> Public
              <span class="hint">runs in the browser or on a device: no secret, PKCE instead</span></label
            >
          </fieldset>
          <div class="field">
            <label class="check"
              ><input type="checkbox" name="first_party" id="client-first-party" /> First-party
              <span class="hint">our own app: no consent page</span></label
            >
          </div>
          ${uriFields('client')}
          <fieldset class="field">
            <legend>Scopes</legend>
            ${OIDC_SCOPES.map(
              (scope) =>
                html`<label class="check"
                  ><input
                    type="checkbox"
                    name="scopes"
                    value="${scope}"
                    checked
                    ${scope === 'openid' ? html` disabled` : ''}
                  />
                  <code>${scope}</code> <span class="hint">${SCOPE_HELP[scope]}</span></label
                >`,
            )}
          </fieldset>
          <button type="submit" class="primary" id="client-submit">Create application</button>
        </form>
        <div id="created-client" class="created" hidden tabindex="-1">
          <p><strong id="created-client-title">Application created.</strong></p>
          <div class="field">
            <label for="created-client-id">Client ID</label>
            <div class="secret">
              <input id="created-client-id" readonly spellcheck="false" />
              <button type="button" id="copy-client-id" aria-label="Copy the client ID">Copy</button>
            </div>
          </div>
          <div class="field" id="created-secret-field">
            <label for="created-client-secret">Client secret</label>
            <p><strong>Copy this secret now.</strong> It is shown only once; Latchkey keeps only its hash.</p>
            <div class="secret">
              <input id="created-client-secret" readonly spellcheck="false" />
              <button type="button" id="copy-client-secret" aria-label="Copy the client secret">Copy</button>
            </div>
          </div>
          <p class="status" id="copy-status" role="status" aria-live="polite"></p>
        </div>
      </section>
      <section aria-labelledby="clients-title">
        <h2 id="clients-title">Registered applications</h2>
        <p class="status" id="status" role="status" aria-live="polite"></p>
        <div class="table-wrap">
          <table id="clients" class="records">
            <caption class="visually-hidden">
              Registered applications
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client ID</th>
                <th scope="col">Type</th>
                <th scope="col">First-party</th>
                <th scope="col">Redirect URIs</th>
                <th scope="col">Created</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody></tbody>
          </table>
        </div>
      </section>

      <dialog id="edit-dialog" aria-labelledby="edit-dialog-title">
        <form id="edit-form" method="dialog" novalidate>
          <h2 id="edit-dialog-title">Edit application</h2>
          <p class="form-error" id="edit-form-error" role="alert" hidden></p>
          <div class="field">
            <label for="edit-name">Name</label>
            <input id="edit-name" name="name" required maxlength="200" autocomplete="off" />
          </div>
          ${uriFields('edit')}
          <div class="field">
            <label class="check"
              ><input type="checkbox" name="first_party" id="edit-first-party" /> First-party
              <span class="hint">our own app: no consent page</span></label
            >
          </div>
          <div class="actions">
            <button type="button" class="quiet" data-close>Cancel</button>
            <button type="submit" class="primary" id="edit-submit">Save</button>
          </div>
        </form>
      </dialog>

      ${confirmDialog('Delete application', 'Delete')}`,
  });
}

/** The two lists of URIs, one per line; `prefix` keeps the ids of the two forms apart. */
function uriFields(prefix: string) {
  return html`<div class="field">
      <label for="${prefix}-redirect-uris"
        >Redirect URIs <span class="hint">(one per line; https, or http on localhost)</span></label
      >
      <textarea
        id="${prefix}-redirect-uris"
        name="redirect_uris"
        rows="3"
        required
        spellcheck="false"
        autocomplete="off"
      ></textarea>
    </div>
    <div class="field">
      <label for="${prefix}-post-logout-uris"
        >Post-logout redirect URIs <span class="hint">(optional, one per line)</span></label
      >
      <textarea
        id="${prefix}-post-logout-uris"
        name="post_logout_redirect_uris"
        rows="2"
        spellcheck="false"
        autocomplete="off"
      ></textarea>
    </div>`;
}
