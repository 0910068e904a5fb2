import type { NamespaceInformerOptions } from './informer.js';
import type { NamespaceResolver } from './types.js';

export type { NamespaceResolver } from './types.js';
export type { NamespaceInformerOptions } from './informer.js';
export { parseNamespaceMap, staticNamespaces } from './static-map.js';

/**
 * The label informer ({@link NamespaceInformerOptions}). @kubernetes/client-node costs about
 * 80 MiB of RSS to load, so it is imported only by the setups that use the informer (not by a
 * static map or an embedded single binary).
 */
export async function namespaceInformer(options: NamespaceInformerOptions): Promise<NamespaceResolver> {
  const { namespaceInformer: start } = await import('./informer.js');
  return start(options);
}
