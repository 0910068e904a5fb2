import { z } from 'zod';
import { Id, Importance, Link, Slug, Timestamp, Version } from './common.js';
import { WorkflowState } from '../workflow/schema.js';
import { Signoff } from '../signoff/schema.js';

/** An OCI image pinned by digest: `registry/repo@sha256:<64 hex>` (a tag before `@` is allowed). */
export const ImageRef = z
  .string()
  .max(512)
  .regex(/^[^\s@]+@sha256:[a-f0-9]{64}$/, 'must be an image pinned by digest: <image>@sha256:<64 hex>');

export const StorageArtifact = z.object({
  uri: z
    .string()
    .max(1024)
    .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'must be a storage URI such as s3://bucket/path'),
  checksum: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/)
    .optional(),
});
export type StorageArtifact = z.infer<typeof StorageArtifact>;

export const Artifacts = z.object({
  images: z.array(ImageRef).default([]),
  storage: z.array(StorageArtifact).default([]),
  /** A checksum of the whole bundle archive. */
  checksum: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/)
    .optional(),
});
export type Artifacts = z.infer<typeof Artifacts>;

export const ItemKind = z.enum(['bundle', 'modelVersion']);
export type ItemKind = z.infer<typeof ItemKind>;

/** A bundle or a model version: something that is deployed and signed off. */
export const Item = z.object({
  id: Id,
  kind: ItemKind,
  projectId: Id,
  /** For model versions: the governed model they belong to. */
  modelId: Id.optional(),
  /** Bundle name, or the model's name for a model version. */
  name: Slug,
  version: Version,
  description: z.string().max(20_000).default(''),
  artifacts: Artifacts,
  /**
   * Normalised artifact keys used for matching: `sha256:<hex>` for each image and checksum,
   * `uri:<storage uri>` for each storage artifact. Derived from `artifacts`.
   */
  digests: z.array(z.string()),
  importance: Importance,
  links: z.array(Link).default([]),
  workflow: WorkflowState,
  /** One sign-off per workflow step that carries one, keyed by step id. */
  signoffs: z.record(Id, Signoff),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Item = z.infer<typeof Item>;

/** A governed model groups model versions; it has no workflow of its own. */
export const Model = z.object({
  id: Id,
  projectId: Id,
  name: Slug,
  description: z.string().max(20_000).default(''),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Model = z.infer<typeof Model>;
