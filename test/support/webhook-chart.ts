import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const CHART_DIR = fileURLToPath(new URL('../../charts/signoff/', import.meta.url));

export const readChart = (file: string): string => readFileSync(`${CHART_DIR}${file}`, 'utf8');
export const templateFiles = (): string[] => readdirSync(`${CHART_DIR}templates`).filter((f) => f.endsWith('.yaml'));

/**
 * Without helm: the plain YAML of a template. Lines that hold only template actions are
 * dropped, inline actions become the placeholder `__tpl__`, so what is left must parse.
 */
export function staticYaml(text: string): unknown[] {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*\{\{-?[^}]*-?\}\}\s*$/.test(l))
    .map((l) => l.replace(/\{\{-?.*?-?\}\}/g, '__tpl__'));
  return yaml.loadAll(lines.join('\n')).filter((d) => d !== null && d !== undefined);
}

/** Every `.Values.a.b.c` path a template uses. */
export function valuesPaths(text: string): string[] {
  return [...new Set([...text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)].map((m) => m[1]!.slice(1)))];
}

export const loadYaml = (text: string): unknown => yaml.load(text);
