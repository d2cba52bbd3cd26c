import { html } from '../html.js';

/** The page that carries a cross-site sign-in link on to this site (SsoEntry, SameSite=strict cookies). */
export function ssoContinuePage(): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Signing in · Latchkey</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script type="module" src="/assets/sso-continue.js"></script>
      </head>
      <body>
        <main id="main" class="card narrow">
          <h1>Signing you in…</h1>
          <p><a id="sso-continue" href="">Continue</a> if nothing happens.</p>
        </main>
      </body>
    </html> `.value;
}
