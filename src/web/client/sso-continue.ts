// The second step of a partner's sign-in link under SESSION_COOKIE_SAMESITE=strict: the same URL again,
// now asked for by a page of this site, so the browser sends the session cookies and the landing can see
// who (if anyone) is signed in already.
location.replace(location.href);
