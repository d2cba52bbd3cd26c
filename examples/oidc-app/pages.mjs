// The OIDC app's pages. Plain template strings, as in the partner app; every value that comes from the
// ID token or from the query goes through `escapeHtml`.

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
  body { margin: 0; padding: 1.5rem 1rem; }
  main { max-width: 48rem; margin: 0 auto; }
  h1 { margin: 0 0 1rem; font-size: 1.5rem; }
  a.button, button { display: inline-block; font: inherit; padding: .5rem 1rem; border: 0; border-radius: .375rem;
    background: #2f5bd3; color: #fff; cursor: pointer; text-decoration: none; }
  button.secondary { background: transparent; color: inherit; border: 1px solid #8888; }
  table { border-collapse: collapse; margin: 1rem 0; }
  th, td { text-align: left; padding: .25rem .75rem .25rem 0; vertical-align: top; }
  th { font-weight: 600; white-space: nowrap; }
  td { overflow-wrap: anywhere; }
  pre { padding: .75rem; border: 1px solid #8888; border-radius: .375rem; overflow-x: auto; }
  .hint { font-size: .9rem; opacity: .8; }
  .error { color: #c62828; font-weight: 600; }`;

export function escapeHtml(value) {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

// `data:,` as the icon stops the browser asking for /favicon.ico, whose 404 would show up as a console error.
const layout = (body) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>OIDC app</title>
<style>${STYLE}</style>
</head>
<body><main>
<h1>OIDC app</h1>
${body}
</main></body>
</html>`;

export function signedOutPage({ latchkeyUrl, error }) {
  return layout(`<p>This stands for an application that signs its users in through Latchkey with OpenID
Connect: it never sees a password, only the ID token Latchkey gives it.</p>
${error ? `<p class="error" role="alert" id="error">${escapeHtml(error)}</p>` : ''}
<p><a id="sign-in" class="button" href="/login">Sign in with Latchkey</a></p>
<p class="hint">Already signed in to Latchkey (with a password at ${escapeHtml(latchkeyUrl)}, or through
the partner app's link)? Then no password is asked.</p>`);
}

const METHODS = { pwd: 'a password', sso: 'single sign-on from a partner application' };

export function signedInPage({ claims }) {
  const rows = ['sub', 'email', 'name', 'preferred_username', 'amr', 'auth_time', 'iss', 'aud']
    .filter((name) => claims[name] !== undefined)
    .map(
      (name) =>
        `<tr><th scope="row">${name}</th><td data-claim="${name}">${escapeHtml(
          Array.isArray(claims[name]) ? claims[name].join(' ') : claims[name],
        )}</td></tr>`,
    )
    .join('\n');
  const method = (claims.amr ?? []).map((m) => METHODS[m] ?? m).join(', ');
  const since = new Date(claims.auth_time * 1000).toISOString();
  return layout(`<p id="signed-in">Signed in as <strong>${escapeHtml(claims.email ?? claims.sub)}</strong>
(Latchkey signed them in with ${escapeHtml(method)}, at ${escapeHtml(since)}).</p>
<table>
${rows}
</table>
<h2>The ID token's claims</h2>
<pre id="claims">${escapeHtml(JSON.stringify(claims, null, 2))}</pre>
<form method="post" action="/logout"><button id="sign-out" class="secondary" type="submit">Sign out of this app</button></form>
<p class="hint">This signs you out here only; your Latchkey session goes on.</p>`);
}
