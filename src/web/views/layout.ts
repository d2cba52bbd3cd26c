import type { UserPrincipal } from '../../auth/principal.js';
import { html, type SafeHtml } from '../html.js';

export type NavItem = 'profile' | 'directory' | 'tokens' | 'clients';

export interface PageFrame {
  title: string;
  /** The client module this page runs (`/assets/<script>.js`). */
  script: string;
  body: SafeHtml;
  /** Signed in: the header shows the navigation and the sign-out button. */
  user?: UserPrincipal;
  active?: NavItem;
}

const LOGO = html`<svg class="logo" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
  <path
    d="M7 10V7a5 5 0 0 1 10 0v3"
    fill="none"
    stroke="currentColor"
    stroke-width="2"
    stroke-linecap="round"
  />
  <rect x="4" y="10" width="16" height="11" rx="2.5" fill="currentColor" />
  <circle cx="12" cy="15.5" r="1.8" fill="#fff" />
</svg>`;

export function layout(page: PageFrame): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Latchkey</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/${page.script}.js"></script>
</head>
<body${page.user ? html` data-user-id="${page.user.userId}"` : ''}>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/">${LOGO}<span>Latchkey</span></a>
  ${page.user ? navigation(page.user, page.active) : ''}
</header>
<main id="main" tabindex="-1">
${page.body}
</main>
<noscript><p class="notice">Latchkey's pages need JavaScript.</p></noscript>
</body>
</html>
`.value;
}

function navigation(user: UserPrincipal, active: NavItem | undefined): SafeHtml {
  const items: [NavItem, string, string][] = [['profile', '/', 'Profile']];
  if (user.isAdmin) {
    items.push(
      ['directory', '/users', 'Directory'],
      ['tokens', '/tokens', 'API tokens'],
      ['clients', '/clients', 'Applications'],
    );
  }
  return html`<nav aria-label="Main">
      <ul>
        ${items.map(
          ([item, href, label]) =>
            html`<li>
              <a href="${href}" ${item === active ? html` aria-current="page"` : ''}>${label}</a>
            </li>`,
        )}
      </ul>
    </nav>
    <button type="button" class="quiet" id="sign-out">Sign out</button>`;
}
