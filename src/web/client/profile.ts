// The profile page: the shared shell, "Where you're signed in" (end one session, or all the others) and
// "Apps with access" (take an application's access back).
import './shell.js';
import { errorFrom, send } from './api.js';
import { busy, byId, showError } from './dom.js';

const list = byId('sessions', HTMLUListElement);
const errorBox = byId('sessions-error', HTMLParagraphElement);

async function end(
  path: string,
  button: HTMLButtonElement,
  done: () => void,
  box = errorBox,
  failure = 'Could not sign that session out',
): Promise<void> {
  showError(box, '');
  await busy(button, async () => {
    try {
      const response = await send('DELETE', path);
      if (response.ok) return done();
      showError(box, `${failure}: ${(await errorFrom(response)).message}`);
    } catch {
      showError(box, 'Latchkey could not be reached; try again.');
    }
  });
}

for (const button of list.querySelectorAll<HTMLButtonElement>('button[data-end-session]')) {
  button.addEventListener('click', () => {
    void end(`/api/me/sessions/${encodeURIComponent(button.dataset.endSession ?? '')}`, button, () => {
      button.closest('li')?.remove();
      if (!list.querySelector('button[data-end-session]'))
        document.getElementById('end-other-sessions')?.remove();
    });
  });
}

const endOthers = document.getElementById('end-other-sessions');
if (endOthers instanceof HTMLButtonElement) {
  endOthers.addEventListener('click', () => {
    void end('/api/me/sessions', endOthers, () => {
      for (const item of list.querySelectorAll('li:has(button[data-end-session])')) item.remove();
      endOthers.remove();
    });
  });
}

const appsError = byId('apps-error', HTMLParagraphElement);
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-revoke-app]')) {
  button.addEventListener('click', () => {
    const path = `/api/me/apps/${encodeURIComponent(button.dataset.revokeApp ?? '')}`;
    void end(path, button, () => button.closest('li')?.remove(), appsError, 'Could not remove that access');
  });
}
