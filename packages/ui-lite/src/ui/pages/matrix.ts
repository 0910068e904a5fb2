import type { Project } from '@signoff/core';
import { html, type Html } from '../html.js';

const W = 520;
const H = 520;
const M = 60;
const cell = (W - M - 20) / 5;

/**
 * Value (x) × risk (y) of the governed projects as an inline SVG; feasibility is the third
 * mark (the number drawn in each dot and its size). The chart is a group with a title and a
 * description; each dot is a link to its project labelled with its name and three ratings (also
 * its tooltip); the table after it is the same data as text.
 */
export function matrixSvg(projects: readonly Project[]): Html {
  const rated = projects.filter((p) => p.qualification.value !== undefined && p.qualification.risk !== undefined);
  const unrated = projects.length - rated.length;
  const placed = rated.slice(0, 400);
  const slots = new Map<string, number>();
  // Dots sharing a cell sit on a 3 × 3 grid inside it; a cell's only dot sits in its middle.
  const perCell = new Map<string, number>();
  for (const p of placed) perCell.set(`${p.qualification.value},${p.qualification.risk}`, (perCell.get(`${p.qualification.value},${p.qualification.risk}`) ?? 0) + 1);
  const dots = placed.map((p) => {
    const v = p.qualification.value ?? 1;
    const r = p.qualification.risk ?? 1;
    const f = p.qualification.feasibility;
    const k = `${v},${r}`;
    const n = (perCell.get(k) ?? 0) > 1 ? (slots.get(k) ?? 0) : 4;
    slots.set(k, n + 1);
    const cx = M + (v - 0.5) * cell + ((n % 3) - 1) * 26;
    const cy = H - M - (r - 0.5) * cell + (Math.floor(n / 3) % 3 - 1) * 26;
    const rad = 8 + (f ?? 1) * 1.5;
    const label = `${p.name}: value ${v}, risk ${r}, feasibility ${f ?? 'not rated'}, decision ${p.qualification.decision}`;
    // The <title> is the link's accessible name and its tooltip; style (fill, font) comes from the stylesheet.
    return html`<a href="/projects/${p.key}"><title>${label}</title><circle cx="${cx.toFixed(0)}" cy="${cy.toFixed(0)}" r="${rad}"></circle><text x="${cx.toFixed(0)}" y="${(cy + 4).toFixed(0)}" aria-hidden="true">${f ?? '?'}</text></a>`;
  });
  const axis = [1, 2, 3, 4, 5];
  const desc = `${rated.length} project${rated.length === 1 ? '' : 's'} placed by value (horizontal, 1 to 5) and risk (vertical, 1 to 5); the number in each dot is its feasibility rating. ${unrated} project${unrated === 1 ? '' : 's'} not yet rated. The table below lists the same data.`;
  return html`<figure class="matrix"><svg viewBox="0 0 ${W} ${H}" role="group" aria-labelledby="mx-title" aria-describedby="mx-desc" xmlns="http://www.w3.org/2000/svg">
<title id="mx-title">Governed projects by value and risk</title><desc id="mx-desc">${desc}</desc>
<g aria-hidden="true">${axis.map((i) => html`<line x1="${M + i * cell}" y1="20" x2="${M + i * cell}" y2="${H - M}" stroke="#c9d0d9"></line><line x1="${M}" y1="${H - M - i * cell}" x2="${W - 20}" y2="${H - M - i * cell}" stroke="#c9d0d9"></line><text x="${M + (i - 0.5) * cell}" y="${H - M + 18}" text-anchor="middle" font-size="13" fill="#1b1f24">${i}</text><text x="${M - 10}" y="${H - M - (i - 0.5) * cell + 4}" text-anchor="end" font-size="13" fill="#1b1f24">${i}</text>`)}
<line x1="${M}" y1="20" x2="${M}" y2="${H - M}" stroke="#1b1f24"></line><line x1="${M}" y1="${H - M}" x2="${W - 20}" y2="${H - M}" stroke="#1b1f24"></line>
<text x="${(M + W - 20) / 2}" y="${H - 15}" text-anchor="middle" font-size="14" fill="#1b1f24">Value →</text>
<text x="18" y="${(H - M) / 2}" text-anchor="middle" font-size="14" fill="#1b1f24" transform="rotate(-90 18 ${(H - M) / 2})">Risk →</text></g>
${dots}</svg><figcaption>Value × risk; the number in a dot is the feasibility (1–5, “?” when unrated).</figcaption></figure>
<table><caption>Projects in the matrix</caption><thead><tr><th scope="col">Project</th><th scope="col">Value</th><th scope="col">Risk</th><th scope="col">Feasibility</th><th scope="col">Decision</th></tr></thead><tbody>${projects.slice(0, 200).map(
    (p) => html`<tr><td><a href="/projects/${p.key}">${p.name}</a></td><td>${p.qualification.value ?? 'not rated'}</td><td>${p.qualification.risk ?? 'not rated'}</td><td>${p.qualification.feasibility ?? 'not rated'}</td><td>${p.qualification.decision}</td></tr>`,
  )}</tbody></table>${projects.length > 200 ? html`<p class="muted">First 200 of ${projects.length}; narrow the filter to see others.</p>` : ''}`;
}
