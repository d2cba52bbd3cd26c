import type { UserPrincipal } from '../../auth/principal.js';
import { html } from '../html.js';
import { confirmDialog } from './confirm-dialog.view.js';
import { layout } from './layout.js';

/** The admin directory: the client script fills the table from `GET /api/users` and edits through the API. */
export function directoryPage(principal: UserPrincipal): string {
  return layout({
    title: 'Directory',
    script: 'directory',
    user: principal,
    active: 'directory',
    body: html`<div class="page-head">
        <h1>Directory</h1>
        <button type="button" class="primary" id="new-user">New user</button>
      </div>
      <form role="search" id="search-form" class="search">
        <label for="search">Search users</label>
        <input
          id="search"
          name="search"
          type="search"
          placeholder="Email, username or name"
          autocomplete="off"
          spellcheck="false"
          maxlength="200"
        />
      </form>
      <p class="status" id="status" role="status" aria-live="polite"></p>
      <p class="summary" id="summary" aria-live="polite"></p>
      <div class="table-wrap">
        <table id="users" class="records">
          <caption class="visually-hidden">
            Users
          </caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Username</th>
              <th scope="col">Source</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Status</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" id="previous-page">Previous</button>
        <span id="page-info"></span>
        <button type="button" id="next-page">Next</button>
      </nav>

      <dialog id="user-dialog" aria-labelledby="user-dialog-title">
        <form id="user-form" method="dialog" novalidate>
          <h2 id="user-dialog-title">New user</h2>
          <p class="form-error" id="user-form-error" role="alert" hidden></p>
          <div class="field">
            <label for="user-email">Email</label>
            <input id="user-email" name="email" type="email" required maxlength="320" autocomplete="off" />
          </div>
          <div class="field-row">
            <div class="field">
              <label for="user-first-name">First name</label>
              <input id="user-first-name" name="first_name" maxlength="200" autocomplete="off" />
            </div>
            <div class="field">
              <label for="user-last-name">Last name</label>
              <input id="user-last-name" name="last_name" maxlength="200" autocomplete="off" />
            </div>
          </div>
          <div class="field">
            <label for="user-username"
              >Username <span class="hint">(optional; the email by default)</span></label
            >
            <input id="user-username" name="username" maxlength="320" autocomplete="off" spellcheck="false" />
          </div>
          <div class="field" id="user-password-field">
            <label for="user-password"
              >Password <span class="hint">(optional, at least 8 characters)</span></label
            >
            <input
              id="user-password"
              name="password"
              type="password"
              minlength="8"
              autocomplete="new-password"
            />
          </div>
          <div class="actions">
            <button type="button" class="quiet" data-close>Cancel</button>
            <button type="submit" class="primary" id="user-submit">Create user</button>
          </div>
        </form>
      </dialog>

      ${confirmDialog('Deactivate user', 'Deactivate')}`,
  });
}
