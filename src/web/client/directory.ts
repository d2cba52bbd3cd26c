// The admin directory: search as you type, paging, create, edit names, deactivate and reactivate.
import './shell.js';
import { api, describe, isAbort } from './api.js';
import { Confirmation } from './confirmation.js';
import { busy, byId, cell, h, showError, timeElement, wireDialog } from './dom.js';
import type { User, UserPage } from './types.js';

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 200;
const SOURCES: Record<User['source'], string> = { local: 'Local', sso: 'SSO', sync: 'Sync' };

const me = document.body.dataset.userId;
const search = byId('search', HTMLInputElement);
const status = byId('status', HTMLParagraphElement);
const summary = byId('summary', HTMLParagraphElement);
const rows = byId('users', HTMLTableElement).tBodies[0];
const previousButton = byId('previous-page', HTMLButtonElement);
const nextButton = byId('next-page', HTMLButtonElement);
const pageInfo = byId('page-info', HTMLSpanElement);

const userDialog = byId('user-dialog', HTMLDialogElement);
const userForm = byId('user-form', HTMLFormElement);
const userFormError = byId('user-form-error', HTMLParagraphElement);
const userSubmit = byId('user-submit', HTMLButtonElement);
const passwordField = byId('user-password-field', HTMLDivElement);
const confirmation = new Confirmation();

const state = readLocation();
let loading: AbortController | undefined;
let editing: User | undefined;

function readLocation(): { search: string; page: number } {
  const params = new URLSearchParams(location.search);
  const page = Number(params.get('page'));
  return { search: params.get('search') ?? '', page: Number.isInteger(page) && page > 0 ? page : 1 };
}

/** The search and page live in the address, so a reload or a shared link shows the same list. */
function writeLocation(): void {
  const params = new URLSearchParams();
  if (state.search) params.set('search', state.search);
  if (state.page > 1) params.set('page', String(state.page));
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}

async function load(): Promise<void> {
  loading?.abort();
  const controller = new AbortController();
  loading = controller;
  const params = new URLSearchParams({ page: String(state.page), page_size: String(PAGE_SIZE) });
  if (state.search) params.set('search', state.search);
  rows.parentElement?.setAttribute('aria-busy', 'true');
  try {
    const { body } = await api<UserPage>(
      'GET',
      `/api/users?${params.toString()}`,
      undefined,
      controller.signal,
    );
    const lastPage = Math.max(1, Math.ceil(body.count / PAGE_SIZE));
    if (state.page > lastPage) {
      state.page = lastPage;
      return await load();
    }
    render(body);
    writeLocation();
  } catch (error) {
    if (!isAbort(error)) status.textContent = describe(error);
  } finally {
    if (loading === controller) rows.parentElement?.removeAttribute('aria-busy');
  }
}

function render(page: UserPage): void {
  rows.replaceChildren(...page.results.map(row));
  if (page.count === 0) {
    rows.append(
      h(
        'tr',
        {},
        h('td', { colspan: '6', class: 'empty' }, state.search ? 'No user matches.' : 'No users yet.'),
      ),
    );
  }
  const first = (state.page - 1) * PAGE_SIZE + 1;
  const last = first + page.results.length - 1;
  const noun = page.count === 1 ? 'user' : 'users';
  const total = `${page.count_is_estimate ? 'about ' : ''}${page.count.toLocaleString()}`;
  summary.textContent = `${total} ${noun}${state.search ? ` matching “${state.search}”` : ''}`;
  pageInfo.textContent = page.results.length > 0 ? `${first}–${last} of ${total}` : '';
  previousButton.disabled = page.previous === null;
  nextButton.disabled = page.next === null;
}

function row(user: User): HTMLTableRowElement {
  const name = `${user.first_name} ${user.last_name}`.trim();
  const edit = h('button', { type: 'button', class: 'small' }, 'Edit');
  edit.setAttribute('aria-label', `Edit ${user.email}`);
  edit.addEventListener('click', () => openEditor(user));
  const toggle =
    user.id === me
      ? null
      : h(
          'button',
          { type: 'button', class: user.is_active ? 'small danger' : 'small' },
          user.is_active ? 'Deactivate' : 'Reactivate',
        );
  toggle?.setAttribute('aria-label', `${user.is_active ? 'Deactivate' : 'Reactivate'} ${user.email}`);
  toggle?.addEventListener('click', () => (user.is_active ? askDeactivate(user) : void reactivate(user)));
  return h(
    'tr',
    { 'data-user-id': user.id, class: user.is_active ? undefined : 'inactive' },
    cell(
      'User',
      h('span', { class: 'name' }, name || user.email),
      name ? h('span', { class: 'email' }, user.email) : null,
    ),
    cell('Username', user.username),
    cell('Source', h('span', { class: `badge source-${user.source}` }, SOURCES[user.source])),
    cell('Last sign-in', timeElement(user.last_login_at)),
    cell(
      'Status',
      h(
        'span',
        { class: user.is_active ? 'badge active' : 'badge inactive' },
        user.is_active ? 'Active' : 'Deactivated',
      ),
      user.is_admin ? h('span', { class: 'badge admin' }, 'Admin') : null,
    ),
    h('td', { class: 'row-actions' }, edit, toggle),
  );
}

function field(name: string): HTMLInputElement {
  const input = userForm.elements.namedItem(name);
  if (!(input instanceof HTMLInputElement)) throw new Error(`field ${name} is missing`);
  return input;
}

function openCreator(): void {
  editing = undefined;
  userForm.reset();
  byId('user-dialog-title', HTMLHeadingElement).textContent = 'New user';
  userSubmit.textContent = 'Create user';
  field('email').readOnly = false;
  passwordField.hidden = false;
  showError(userFormError, '');
  userDialog.showModal();
}

function openEditor(user: User): void {
  editing = user;
  userForm.reset();
  byId('user-dialog-title', HTMLHeadingElement).textContent = `Edit ${user.email}`;
  userSubmit.textContent = 'Save';
  field('email').value = user.email;
  field('email').readOnly = true;
  field('first_name').value = user.first_name;
  field('last_name').value = user.last_name;
  field('username').value = user.username;
  passwordField.hidden = true;
  showError(userFormError, '');
  userDialog.showModal();
  field('first_name').focus();
}

async function saveUser(): Promise<void> {
  const names = {
    first_name: field('first_name').value.trim(),
    last_name: field('last_name').value.trim(),
    ...(field('username').value.trim() ? { username: field('username').value.trim() } : {}),
  };
  if (editing) {
    await api<User>('PATCH', `/api/users/${editing.id}`, names);
    status.textContent = `Saved ${editing.email}.`;
    return;
  }
  const email = field('email').value.trim();
  const password = field('password').value;
  const { status: code, body } = await api<User>('POST', '/api/users', {
    email,
    ...names,
    ...(password ? { password } : {}),
  });
  status.textContent =
    code === 201 ? `Created ${body.email}.` : `${body.email} already existed; their details were updated.`;
}

function askDeactivate(user: User): void {
  confirmation.ask(
    `${user.email} will be signed out everywhere and cannot sign in until reactivated.`,
    async () => {
      try {
        await api<undefined>('DELETE', `/api/users/${user.id}`);
        status.textContent = `Deactivated ${user.email}.`;
      } catch (error) {
        status.textContent = describe(error);
      }
      await load();
    },
  );
}

async function reactivate(user: User): Promise<void> {
  try {
    await api<User>('PATCH', `/api/users/${user.id}`, { is_active: true });
    status.textContent = `Reactivated ${user.email}.`;
    await load();
  } catch (error) {
    status.textContent = describe(error);
  }
}

let searchTimer: number | undefined;
search.value = state.search;
search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => {
    state.search = search.value.trim();
    state.page = 1;
    void load();
  }, SEARCH_DELAY_MS);
});
byId('search-form', HTMLFormElement).addEventListener('submit', (event) => event.preventDefault());
previousButton.addEventListener('click', () => {
  state.page = Math.max(1, state.page - 1);
  void load();
});
nextButton.addEventListener('click', () => {
  state.page += 1;
  void load();
});

byId('new-user', HTMLButtonElement).addEventListener('click', openCreator);
wireDialog(userDialog);
userForm.addEventListener('submit', (event) => {
  event.preventDefault();
  showError(userFormError, '');
  if (!editing && !field('email').value.trim()) {
    showError(userFormError, 'Enter an email address.');
    field('email').focus();
    return;
  }
  void busy(userSubmit, async () => {
    try {
      await saveUser();
      userDialog.close();
      await load();
    } catch (error) {
      showError(userFormError, describe(error));
    }
  });
});
void load();
