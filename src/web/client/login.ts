// The sign-in form: a cookie-mode `POST /token`, then on to the page that was asked for.
import { errorFrom, send } from './api.js';
import { busy, byId, showError } from './dom.js';

const form = byId('login-form', HTMLFormElement);
const username = byId('username', HTMLInputElement);
const password = byId('password', HTMLInputElement);
const submit = byId('login-submit', HTMLButtonElement);
const errorBox = byId('login-error', HTMLParagraphElement);

function minutes(seconds: number): string {
  const m = Math.ceil(seconds / 60);
  return m <= 1 ? 'a minute' : `${m} minutes`;
}

async function failureMessage(response: Response): Promise<string> {
  const error = await errorFrom(response);
  switch (error.code) {
    case 'invalid_credentials':
      return 'Wrong username, email or password.';
    case 'rate_limited':
      return `Too many sign-in attempts. Try again in ${minutes(error.retryAfterSeconds ?? 900)}.`;
    case 'validation_failed':
      return 'Enter your username or email, and your password.';
    case 'database_unavailable':
      return 'Latchkey cannot reach its database; try again shortly.';
    default:
      return `Sign-in failed: ${error.message}`;
  }
}

function fail(message: string, field: HTMLInputElement): void {
  showError(errorBox, message);
  field.focus();
}

// Focus the first field, as `autofocus` would; but not inside a partner's iframe, where Chromium refuses
// autofocus (with a console error) and taking the focus from the partner's page would be rude anyway.
if (window.self === window.top) username.focus();

form.addEventListener('submit', (event) => {
  event.preventDefault();
  showError(errorBox, '');
  if (!username.value.trim()) return fail('Enter your username or email.', username);
  if (!password.value) return fail('Enter your password.', password);
  void busy(submit, async () => {
    try {
      const response = await send('POST', '/token?cookie=1', {
        username: username.value.trim(),
        password: password.value,
      });
      if (response.ok) {
        location.assign(form.dataset.next ?? '/');
        return;
      }
      password.value = '';
      fail(await failureMessage(response), password);
    } catch {
      fail('Latchkey could not be reached; check your connection and try again.', password);
    }
  });
});
