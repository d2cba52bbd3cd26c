// The consent step of an OpenID Connect sign-in: Allow or Deny, then on to where the provider says.
import './shell.js';
import { api, describe } from './api.js';
import { busy, byId, showError } from './dom.js';

const section = byId('consent', HTMLElement);
const error = byId('consent-error', HTMLParagraphElement);
const uid = section.dataset.uid ?? '';

async function decide(allow: boolean, button: HTMLButtonElement): Promise<void> {
  try {
    const { body } = await busy(button, () =>
      api<{ redirect: string }>('POST', `/interaction/${encodeURIComponent(uid)}/consent`, { allow }),
    );
    location.assign(body.redirect);
  } catch (failure) {
    showError(error, describe(failure));
  }
}

const allow = byId('consent-allow', HTMLButtonElement);
const deny = byId('consent-deny', HTMLButtonElement);
allow.addEventListener('click', () => void decide(true, allow));
deny.addEventListener('click', () => void decide(false, deny));
