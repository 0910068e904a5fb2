export type { NamespaceResolver } from './types.js';
export { parseNamespaceMap, staticNamespaces } from './static-map.js';
export { namespaceInformer, type NamespaceInformerOptions } from './informer.js';
