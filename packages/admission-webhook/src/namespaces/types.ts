/** Namespace → infrastructure id, as the namespace label `signoff.dev/infrastructure` says. */
export interface NamespaceResolver {
  infrastructureOf(namespace: string): string | undefined;
  /** True once the first list has been applied (for `/readyz`). */
  synced(): boolean;
  /** Snapshot, for logs and tests. */
  entries(): [string, string][];
  close(): Promise<void>;
}
