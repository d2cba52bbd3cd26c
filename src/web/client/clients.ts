// Applications (OpenID Connect clients): register one (its secret is shown once, with a copy button), list,
// edit the name, redirect URIs and first-party flag, delete.
import './shell.js';
import { api, describe } from './api.js';
import { Confirmation } from './confirmation.js';
import { busy, byId, cell, h, showError, timeElement, wireCopyButton, wireDialog } from './dom.js';
import type { CreatedOidcClient, OidcClient, OidcScope } from './types.js';

const form = byId('client-form', HTMLFormElement);
const nameInput = byId('client-name', HTMLInputElement);
const firstParty = byId('client-first-party', HTMLInputElement);
const redirectUris = byId('client-redirect-uris', HTMLTextAreaElement);
const postLogoutUris = byId('client-post-logout-uris', HTMLTextAreaElement);
const formError = byId('client-form-error', HTMLParagraphElement);
const submit = byId('client-submit', HTMLButtonElement);

const created = byId('created-client', HTMLDivElement);
const createdTitle = byId('created-client-title', HTMLElement);
const createdId = byId('created-client-id', HTMLInputElement);
const secretField = byId('created-secret-field', HTMLDivElement);
const createdSecret = byId('created-client-secret', HTMLInputElement);
const copyStatus = byId('copy-status', HTMLParagraphElement);

const status = byId('status', HTMLParagraphElement);
const rows = byId('clients', HTMLTableElement).tBodies[0];

const editDialog = byId('edit-dialog', HTMLDialogElement);
const editForm = byId('edit-form', HTMLFormElement);
const editTitle = byId('edit-dialog-title', HTMLHeadingElement);
const editError = byId('edit-form-error', HTMLParagraphElement);
const editName = byId('edit-name', HTMLInputElement);
const editRedirectUris = byId('edit-redirect-uris', HTMLTextAreaElement);
const editPostLogoutUris = byId('edit-post-logout-uris', HTMLTextAreaElement);
const editFirstParty = byId('edit-first-party', HTMLInputElement);
const editSubmit = byId('edit-submit', HTMLButtonElement);
const confirmation = new Confirmation();

let editing: OidcClient | undefined;

async function load(): Promise<void> {
  try {
    const { body } = await api<OidcClient[]>('GET', '/api/clients');
    rows.replaceChildren(...body.map(row));
    if (body.length === 0)
      rows.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No applications yet.')));
  } catch (error) {
    status.textContent = describe(error);
  }
}

function row(client: OidcClient): HTMLTableRowElement {
  const edit = h('button', { type: 'button', class: 'small', 'aria-label': `Edit ${client.name}` }, 'Edit');
  edit.addEventListener('click', () => openEditor(client));
  const remove = h(
    'button',
    { type: 'button', class: 'small danger', 'aria-label': `Delete ${client.name}` },
    'Delete',
  );
  remove.addEventListener('click', () => askDelete(client));
  return h(
    'tr',
    { 'data-client-id': client.client_id },
    cell('Name', h('span', { class: 'name' }, client.name)),
    cell('Client ID', h('code', { class: 'client-id' }, client.client_id)),
    cell('Type', client.type === 'confidential' ? 'Confidential' : 'Public'),
    cell('First-party', client.first_party ? 'Yes' : 'No'),
    cell(
      'Redirect URIs',
      h('ul', { class: 'uris' }, ...client.redirect_uris.map((uri) => h('li', {}, h('code', {}, uri)))),
    ),
    cell('Created', timeElement(client.created_at)),
    h('td', { class: 'row-actions' }, edit, remove),
  );
}

/** One URI a line; blank lines and surrounding spaces don't count. */
function lines(box: HTMLTextAreaElement): string[] {
  return box.value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function chosenScopes(): OidcScope[] {
  // openid is always granted: its box is checked and disabled, so it is not among the enabled ones.
  const boxes = form.querySelectorAll<HTMLInputElement>('input[name="scopes"]:checked:not(:disabled)');
  return ['openid', ...[...boxes].map((box) => box.value as OidcScope)];
}

function chosenType(): OidcClient['type'] {
  const checked = form.querySelector<HTMLInputElement>('input[name="type"]:checked');
  return checked?.value === 'public' ? 'public' : 'confidential';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  showError(formError, '');
  const name = nameInput.value.trim();
  const redirect_uris = lines(redirectUris);
  if (!name) {
    showError(formError, 'Give the application a name.');
    return nameInput.focus();
  }
  if (redirect_uris.length === 0) {
    showError(formError, 'Enter at least one redirect URI.');
    return redirectUris.focus();
  }
  void busy(submit, async () => {
    try {
      const { body } = await api<CreatedOidcClient>('POST', '/api/clients', {
        name,
        type: chosenType(),
        redirect_uris,
        post_logout_redirect_uris: lines(postLogoutUris),
        first_party: firstParty.checked,
        scopes: chosenScopes(),
      });
      form.reset();
      showCreated(body);
      await load();
    } catch (error) {
      showError(formError, describe(error));
    }
  });
});

function showCreated(client: CreatedOidcClient): void {
  createdTitle.textContent = `Created ${client.name}.`;
  createdId.value = client.client_id;
  createdSecret.value = client.client_secret ?? '';
  secretField.hidden = client.client_secret === undefined;
  copyStatus.textContent = '';
  created.hidden = false;
  created.focus();
  (client.client_secret === undefined ? createdId : createdSecret).select();
}

wireCopyButton(byId('copy-client-id', HTMLButtonElement), createdId, copyStatus, 'client ID');
wireCopyButton(byId('copy-client-secret', HTMLButtonElement), createdSecret, copyStatus, 'client secret');

function openEditor(client: OidcClient): void {
  editing = client;
  editForm.reset();
  editTitle.textContent = `Edit ${client.name}`;
  editName.value = client.name;
  editRedirectUris.value = client.redirect_uris.join('\n');
  editPostLogoutUris.value = client.post_logout_redirect_uris.join('\n');
  editFirstParty.checked = client.first_party;
  showError(editError, '');
  editDialog.showModal();
  editName.focus();
}

wireDialog(editDialog);
editForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const client = editing;
  if (!client) return;
  showError(editError, '');
  const name = editName.value.trim();
  const redirect_uris = lines(editRedirectUris);
  if (!name) {
    showError(editError, 'Give the application a name.');
    return editName.focus();
  }
  if (redirect_uris.length === 0) {
    showError(editError, 'Enter at least one redirect URI.');
    return editRedirectUris.focus();
  }
  void busy(editSubmit, async () => {
    try {
      const { body } = await api<OidcClient>(
        'PATCH',
        `/api/clients/${encodeURIComponent(client.client_id)}`,
        {
          name,
          redirect_uris,
          post_logout_redirect_uris: lines(editPostLogoutUris),
          first_party: editFirstParty.checked,
        },
      );
      editDialog.close();
      status.textContent = `Saved ${body.name}.`;
      await load();
    } catch (error) {
      showError(editError, describe(error));
    }
  });
});

function askDelete(client: OidcClient): void {
  confirmation.ask(`Sign-ins through “${client.name}” stop; its tokens stop working.`, async () => {
    try {
      await api<undefined>('DELETE', `/api/clients/${encodeURIComponent(client.client_id)}`);
      status.textContent = `Deleted ${client.name}.`;
    } catch (error) {
      status.textContent = describe(error);
    }
    await load();
  });
}

void load();
