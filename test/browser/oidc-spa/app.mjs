// A single-page application we did not write the OIDC part of: oidc-client-ts (its browser bundle, the
// global `oidc`) signs in through Latchkey as a public client, code + PKCE, and shows what it got. The test
// (oidc-spa.e2e-spec.ts) serves this page from another origin and reads the page, as a person would.
//
// The page's settings come from its <body>: data-authority (Latchkey's issuer) and data-client-id.
/* global oidc, document, location, history, atob */

const { authority, clientId } = document.body.dataset;
const manager = new oidc.UserManager({
  authority,
  client_id: clientId,
  redirect_uri: `${location.origin}/callback`,
  response_type: 'code',
  scope: 'openid email profile',
  // Ask /oidc/userinfo too, as most SPAs do: a cross-origin request with a bearer token (a CORS preflight).
  loadUserInfo: true,
  automaticSilentRenew: false,
});

const byId = (id) => document.getElementById(id);

/** The claims of a JWT, as the page shows them (the library's `profile` leaves out amr, auth_time …). */
function jwtClaims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
}

function show(user) {
  const status = byId('status');
  if (!user) {
    status.dataset.state = 'signed-out';
    status.textContent = 'Signed out';
    return;
  }
  status.dataset.state = 'signed-in';
  status.textContent = `Signed in as ${user.profile.email ?? user.profile.sub}`;
  byId('claims').textContent = JSON.stringify(jwtClaims(user.id_token), null, 2);
  byId('profile').textContent = JSON.stringify(user.profile, null, 2);
  byId('access-token').textContent = user.access_token;
  byId('refresh-token').textContent = user.refresh_token ? 'yes' : 'no';
}

// The library's ErrorResponse carries the OAuth error code (`error`) beside its description (`message`).
function fail(error) {
  const message = [error?.error, error?.message ?? String(error)].filter(Boolean).join(': ');
  byId('status').dataset.state = 'error';
  byId('error').textContent = message;
  console.error(`SPA: ${message}`);
}

byId('sign-in').addEventListener('click', () => {
  manager.signinRedirect().catch(fail);
});

// offline_access (a refresh token) is granted only with prompt=consent (OIDC Core §11).
byId('sign-in-offline').addEventListener('click', () => {
  manager.signinRedirect({ scope: 'openid email profile offline_access', prompt: 'consent' }).catch(fail);
});

// With a refresh token, signinSilent uses the refresh_token grant (no iframe, no redirect).
byId('renew').addEventListener('click', () => {
  manager
    .signinSilent()
    .then((user) => {
      show(user);
      byId('renewals').textContent = String(Number(byId('renewals').textContent) + 1);
    })
    .catch(fail);
});

if (location.pathname === '/callback') {
  // signinCallback tells a redirect's callback (a user) from a silent renewal's in an iframe (none).
  manager
    .signinCallback()
    .then((user) => {
      if (!user) return;
      history.replaceState(null, '', '/');
      show(user);
    })
    .catch(fail);
} else {
  manager.getUser().then(show, fail);
}
