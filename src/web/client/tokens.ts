// API tokens: create with scopes (the value is shown once, with a copy button), list, revoke.
import './shell.js';
import { api, describe } from './api.js';
import { Confirmation } from './confirmation.js';
import { busy, byId, cell, h, showError, timeElement, wireCopyButton } from './dom.js';
import type { ApiToken, CreatedApiToken, Scope } from './types.js';

const form = byId('token-form', HTMLFormElement);
const nameInput = byId('token-name', HTMLInputElement);
const formError = byId('token-form-error', HTMLParagraphElement);
const submit = byId('token-submit', HTMLButtonElement);
const created = byId('created-token', HTMLDivElement);
const createdValue = byId('created-token-value', HTMLInputElement);
const copyStatus = byId('copy-status', HTMLParagraphElement);
const status = byId('status', HTMLParagraphElement);
const rows = byId('tokens', HTMLTableElement).tBodies[0];
const confirmation = new Confirmation();

async function load(): Promise<void> {
  try {
    const { body } = await api<ApiToken[]>('GET', '/api/tokens');
    rows.replaceChildren(...body.map(row));
    if (body.length === 0)
      rows.append(h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'No active tokens.')));
  } catch (error) {
    status.textContent = describe(error);
  }
}

function row(token: ApiToken): HTMLTableRowElement {
  const revoke = h(
    'button',
    { type: 'button', class: 'small danger', 'aria-label': `Revoke ${token.name}` },
    'Revoke',
  );
  revoke.addEventListener('click', () =>
    confirmation.ask(
      `Anything using “${token.name}” (${token.prefix}…) gets 401 from its next request on.`,
      async () => {
        try {
          await api<undefined>('DELETE', `/api/tokens/${token.id}`);
          status.textContent = `Revoked ${token.name}.`;
        } catch (error) {
          status.textContent = describe(error);
        }
        await load();
      },
    ),
  );
  return h(
    'tr',
    { 'data-token-id': token.id },
    cell('Name', h('span', { class: 'name' }, token.name)),
    cell('Token', h('code', {}, `${token.prefix}…`)),
    cell('Scopes', ...token.scopes.map((scope) => h('code', { class: 'scope' }, scope))),
    cell('Created', timeElement(token.created_at)),
    cell('Last used', timeElement(token.last_used_at)),
    h('td', { class: 'row-actions' }, revoke),
  );
}

function chosenScopes(): Scope[] {
  return [...form.querySelectorAll<HTMLInputElement>('input[name="scopes"]:checked')].map(
    (box) => box.value as Scope,
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  showError(formError, '');
  const name = nameInput.value.trim();
  const scopes = chosenScopes();
  if (!name) {
    showError(formError, 'Give the token a name.');
    return nameInput.focus();
  }
  if (scopes.length === 0) return showError(formError, 'Choose at least one scope.');
  void busy(submit, async () => {
    try {
      const { body } = await api<CreatedApiToken>('POST', '/api/tokens', { name, scopes });
      form.reset();
      createdValue.value = body.token;
      copyStatus.textContent = '';
      created.hidden = false;
      created.focus();
      createdValue.select();
      await load();
    } catch (error) {
      showError(formError, describe(error));
    }
  });
});

wireCopyButton(byId('copy-token', HTMLButtonElement), createdValue, copyStatus, 'token');

void load();
