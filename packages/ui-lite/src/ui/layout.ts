import type { Principal } from '@signoff/core';
import { CSS_PATH, JS_PATH } from './assets.js';
import { html, type Html, type Part } from './html.js';

export interface PageContext {
  principal?: Principal;
  /** How the viewer signed in: a session (may sign out) or a trusted SSO proxy. */
  authMethod?: string;
  csrf?: string;
  /** Path of the current page (for aria-current and sign-in redirects). */
  path: string;
  reviewCount?: number;
  now: Date;
}

export interface PageOptions {
  title: string;
  body: Part;
  /** Message shown at the top of the page. */
  error?: string;
  notice?: string;
}

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/', label: 'My reviews' },
  { href: '/projects', label: 'Governed projects' },
  { href: '/projects/matrix', label: 'Matrix' },
  { href: '/deployments', label: 'Deployments' },
  { href: '/infrastructures', label: 'Infrastructures' },
  { href: '/audit', label: 'Audit log', admin: true },
];

export function isAdminPrincipal(p: Principal | undefined): boolean {
  if (!p) return false;
  if (p.kind === 'system') return true;
  return p.kind === 'user' ? p.roles.includes('admin') : p.scopes.includes('admin');
}

export function principalName(p: Principal): string {
  return p.kind === 'user' ? p.displayName : p.kind === 'apiKey' ? `API key ${p.name}` : 'system';
}

function current(path: string, href: string): boolean {
  if (href === '/') return path === '/';
  if (href === '/projects') return path === '/projects' || (path.startsWith('/projects/') && !path.startsWith('/projects/matrix'));
  return path === href || path.startsWith(`${href}/`);
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">`;
}

export function layout(ctx: PageContext, page: PageOptions): Html {
  const p = ctx.principal;
  const admin = isAdminPrincipal(p);
  const nav = p
    ? html`<nav aria-label="Main"><ul>${NAV.filter((n) => !n.admin || admin).map(
        (n) =>
          html`<li><a href="${n.href}"${current(ctx.path, n.href) ? html` aria-current="page"` : ''}>${n.label}${
            n.href === '/' && ctx.reviewCount !== undefined
              ? html` <span class="count">${ctx.reviewCount}</span><span class="visually-hidden"> open</span>`
              : ''
          }</a></li>`,
      )}</ul></nav>`
    : '';
  const who = p
    ? html`<div class="who"><span>Signed in as <strong>${principalName(p)}</strong>${
        ctx.authMethod === 'sso' ? html` <span class="badge s-info">SSO</span>` : ''
      }</span>${
        ctx.authMethod === 'session'
          ? html`<form method="post" action="/logout">${csrfField(ctx)}<button type="submit" class="secondary">Sign out</button></form>`
          : ''
      }</div>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${page.title} · signoff</title><link rel="stylesheet" href="${CSS_PATH}"><script src="${JS_PATH}" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">signoff</a>${nav}${who}</header>
<main id="main" tabindex="-1">${page.error ? html`<div class="msg error" role="alert"><strong>Error:</strong> ${page.error}</div>` : ''}${
    page.notice ? html`<div class="msg ok" role="status">${page.notice}</div>` : ''
  }${page.body}</main></body></html>`;
}
