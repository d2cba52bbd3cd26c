// The partner app's two HTML pages. Plain template strings keep the example free of a view engine; every
// value that comes from a user goes through `escapeHtml`, because a real app would render names it did not write.

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
  body { margin: 0; padding: 1.5rem 1rem; }
  main { max-width: 56rem; margin: 0 auto; }
  h1 { margin: 0 0 1rem; font-size: 1.5rem; }
  form.login { display: grid; gap: .75rem; max-width: 22rem; }
  label { display: grid; gap: .25rem; font-weight: 600; }
  input { font: inherit; font-weight: 400; padding: .5rem; border: 1px solid #8888; border-radius: .375rem; }
  button { font: inherit; padding: .5rem 1rem; border: 0; border-radius: .375rem; background: #2f5bd3;
    color: #fff; cursor: pointer; }
  button.secondary { background: transparent; color: inherit; border: 1px solid #8888; }
  .hint { font-size: .9rem; opacity: .8; }
  .error { color: #c62828; font-weight: 600; }
  .bar { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem 1rem; margin-bottom: 1rem; }
  .bar form { margin-left: auto; }
  iframe { display: block; width: 100%; height: 34rem; border: 1px solid #8888; border-radius: .375rem; }`;

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
<title>Partner app</title>
<style>${STYLE}</style>
</head>
<body><main>
<h1>Partner app</h1>
${body}
</main></body>
</html>`;

export function loginPage({ email, error }) {
  return layout(`<p>This stands for <em>your</em> application: it has its own sign-in, and then sends its
signed-in user to Latchkey with a short-lived token.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form class="login" method="post" action="/login">
  <label for="partner-email">Email
    <input id="partner-email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}">
  </label>
  <label for="partner-password">Password
    <input id="partner-password" name="password" type="password" autocomplete="current-password" required>
  </label>
  <button id="partner-sign-in" type="submit">Sign in</button>
</form>
<p class="hint">Demo account: <strong>demo@partner.example</strong> / <strong>demo</strong></p>`);
}

// The iframe starts empty: its URL carries a one-time token, so the script fetches a fresh one on each
// page load rather than baking it into HTML that the browser might cache or restore from history.
export function homePage(user) {
  return layout(`<div class="bar">
  <span>Signed in here as <strong>${escapeHtml(`${user.first_name} ${user.last_name}`)}</strong>
    (${escapeHtml(user.email)})</span>
  <a id="open-latchkey" href="/label">Open Latchkey in this window</a>
  <form method="post" action="/logout"><button id="partner-sign-out" class="secondary" type="submit">Sign out</button></form>
</div>
<iframe id="latchkey" title="Latchkey"></iframe>
<p id="latchkey-status" class="error" role="alert" hidden></p>
<script type="module">
  const status = document.getElementById('latchkey-status');
  try {
    const response = await fetch('/api/latchkey-token', { cache: 'no-store' });
    if (!response.ok) throw new Error('the partner app answered ' + response.status);
    const { url } = await response.json();
    document.getElementById('latchkey').src = url;
  } catch (error) {
    status.textContent = 'Could not open Latchkey: ' + error.message;
    status.hidden = false;
  }
</script>`);
}
