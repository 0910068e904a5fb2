import { z } from 'zod';

/** `group/version/kind` as the API server sends it; the group of core kinds is `""`. */
export const GroupVersionKind = z.looseObject({
  group: z.string(),
  version: z.string(),
  kind: z.string(),
});
export type GroupVersionKind = z.infer<typeof GroupVersionKind>;

export const UserInfo = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
});
export type UserInfo = z.infer<typeof UserInfo>;

export const Operation = z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
export type Operation = z.infer<typeof Operation>;

/** A Kubernetes object: only the metadata we read is typed, the rest passes through. */
export const KubeObject = z.looseObject({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      namespace: z.string().optional(),
      labels: z.record(z.string(), z.string()).nullish(),
      annotations: z.record(z.string(), z.string()).nullish(),
    })
    .optional(),
});
export type KubeObject = z.infer<typeof KubeObject>;

/** admission.k8s.io/v1 AdmissionRequest: what the gate reads; everything else passes through. */
export const AdmissionRequest = z.looseObject({
  uid: z.string().min(1).max(256),
  kind: GroupVersionKind,
  resource: z.looseObject({ group: z.string(), version: z.string(), resource: z.string() }).optional(),
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: Operation,
  userInfo: UserInfo.default({}),
  object: KubeObject.nullish(),
  oldObject: KubeObject.nullish(),
  dryRun: z.boolean().nullish(),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequest>;

export const AdmissionReview = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  request: AdmissionRequest,
});
export type AdmissionReview = z.infer<typeof AdmissionReview>;

/** The answer, admission.k8s.io/v1. Never carries a patch: this is a validating webhook. */
export interface AdmissionResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason: string; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}
