import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express, { type Router } from 'express';
import { projectPath } from '../../subgraphs/kernel/paths.js';

/**
 * The pages that links in mail open (subgraphs/kernel/mailer.ts `mailLink`): plain HTML with one
 * inline script (pages.js) that completes the flow through the same-origin REST API. Nothing from
 * the request is written into the HTML: the script reads the token from the address bar.
 */

const SCRIPT = readFileSync(projectPath('gateway', 'pages', 'pages.js'), 'utf8');
const STYLE = readFileSync(projectPath('gateway', 'pages', 'pages.css'), 'utf8');

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only the inline script and style (by hash) and same-origin fetches; forms never submit natively. */
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PASSWORDS = `
    <label>New password <input name="password" type="password" autocomplete="new-password" required /></label>
    <label>Repeat the password <input name="confirm" type="password" autocomplete="new-password" required /></label>`;

interface MailPage {
  path: string;
  /** `data-page` of the body: which flow of pages.js runs. */
  name: string;
  title: string;
  body: string;
}

const PAGES: MailPage[] = [
  {
    path: '/verify-email',
    name: 'verify-email',
    title: 'Verify your email address',
    // A click, not the page load, spends the token: mail scanners that open links (and run their
    // scripts) must not use it up before the person does.
    body: `<p>This link confirms the email address of your account.</p>
  <form id="form" method="post" novalidate>
    <button type="submit">Verify my email address</button>
  </form>`,
  },
  {
    path: '/reset-password',
    name: 'reset-password',
    title: 'Choose a new password',
    body: `<p>This link sets a new password for your account; every session is signed out. It works once.</p>
  <form id="form" method="post" novalidate>${PASSWORDS}
    <button type="submit">Set the new password</button>
  </form>`,
  },
  {
    path: '/signup',
    name: 'signup',
    title: 'Create your account',
    body: `<p>You are invited to the Agent Platform: this creates your organisation, with you as its owner.</p>
  <form id="form" method="post" novalidate>
    <label>Email <input name="email" type="email" autocomplete="email" required /></label>
    <label>Organisation name <input name="tenant_name" autocomplete="organization" required /></label>
    <label><span>Your name <span class="optional">(optional)</span></span> <input name="display_name" autocomplete="name" /></label>${PASSWORDS}
    <label class="check"><input name="accept_terms" type="checkbox" required /> I accept the terms of service.</label>
    <button type="submit">Create the account</button>
  </form>`,
  },
];

function render(page: MailPage): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <meta name="robots" content="noindex" />
  <title>${page.title} · Agent Platform</title>
  <style>${STYLE}</style>
</head>
<body data-page="${page.name}">
<main>
  <h1>${page.title}</h1>
  ${page.body}
  <div id="status" role="status" aria-live="polite"></div>
  <noscript><p>This page needs JavaScript to complete the request.</p></noscript>
</main>
<script>${SCRIPT}</script>
</body>
</html>`;
}

/** GET /verify-email, /reset-password and /signup. */
export function mailPagesRouter(): Router {
  const router = express.Router();
  for (const page of PAGES) {
    const html = render(page);
    router.get(page.path, (_req, res) => {
      res
        .set({
          'content-security-policy': CSP,
          // The token is in the address: keep it out of caches and of Referer headers.
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
        })
        .type('html')
        .send(html);
    });
  }
  return router;
}
