// What every signed-in page shares: the sign-out button and dates shown in the reader's own time zone.
import { send } from './api.js';
import { formatDate } from './dom.js';

function localiseDates(): void {
  for (const time of document.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    time.title = time.dateTime;
    time.textContent = formatDate(time.dateTime);
  }
}

function wireSignOut(): void {
  const button = document.getElementById('sign-out');
  if (!(button instanceof HTMLButtonElement)) return;
  button.addEventListener('click', () => {
    button.disabled = true;
    // Whatever the answer, the cookies are gone or useless; the sign-in page is the right place to be.
    void send('POST', '/logout', {})
      .catch(() => undefined)
      .finally(() => location.assign('/login'));
  });
}

localiseDates();
wireSignOut();
