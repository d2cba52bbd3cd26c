import { html, type SafeHtml } from '../web/html.js';

/** The page for an error that must not go back to the client (an unknown client, an unregistered redirect). */
export function errorPage(error: string, description: string): string {
  return page(
    'Sign-in error',
    html`<h1>This sign-in cannot go on</h1>
      <p><code>${error}</code></p>
      <p>${description}</p>`,
  );
}

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Latchkey</title>
        <link rel="stylesheet" href="/assets/app.css" />
      </head>
      <body>
        <main id="main" class="card">${body}</main>
      </body>
    </html>`.toString();
}
