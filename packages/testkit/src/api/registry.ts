// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import { randomBytes, randomUUID } from 'node:crypto';
import { StatusError, statusErrors } from '../http/status.js';
import type { ObjectStore } from '../store/object-store.js';
import { validateKind, validateUpdate } from './kind-validation.js';
import { recordUpdate, serverSideApply } from './managed-fields.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { groupVersion, type KubeObject, type ResourceType } from './resource-types.js';

/** Options common to writes (`dryRun=All`, `fieldManager`). */
export interface WriteOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  readonly subresource?: string;
}

/** The patch content types the API server accepts (k8s-protocols §4.3). */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** `<group>/<resource>`, the store's key for a type. */
export function typeKey(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return `${t.group}/${t.resource}`;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function timestamp(ms: number = Date.now()): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/**
 * Kinds whose registry strategy maintains metadata.generation (workloads and custom resources);
 * ConfigMaps, Secrets, Services… have none.
 */
function tracksGeneration(t: ResourceType): boolean {
  return t.kind === 'Deployment' || t.custom === true;
}

const NAMESPACED_SYSTEM = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * The behaviour of the API server's generic registry over the simulator's store: defaults,
 * validation, resourceVersion checks, generation, managed fields, dry runs and type-specific
 * status (pods run, deployments are ready, services get a cluster IP).
 */
export class Registry {
  private ipCounter = 10;

  constructor(private readonly store: ObjectStore) {}

  get(t: ResourceType, namespace: string, name: string): KubeObject {
    const found = this.store.get(typeKey(t), t.namespaced ? namespace : '', name);
    if (!found) throw statusErrors.notFound(t.resource, t.group, name);
    return found;
  }

  find(t: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(typeKey(t), t.namespaced ? namespace : '', name);
  }

  list(t: ResourceType, namespace: string | undefined): KubeObject[] {
    return this.store.list(typeKey(t), t.namespaced ? namespace : undefined);
  }

  private requireNamespace(t: ResourceType, namespace: string): void {
    if (!t.namespaced) return;
    if (!this.store.get('/namespaces', '', namespace))
      throw statusErrors.notFound('namespaces', '', namespace);
  }

  private checkBody(t: ResourceType, body: unknown, namespace: string): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw statusErrors.badRequest(`the body of the request was in an unknown format`);
    }
    const object = body as KubeObject;
    const gv = groupVersion(t);
    if (object.kind !== undefined && object.kind !== t.kind) {
      throw statusErrors.badRequest(
        `the kind in the data (${String(object.kind)}) does not match the expected kind (${t.kind})`,
      );
    }
    if (object.apiVersion !== undefined && object.apiVersion !== gv) {
      throw statusErrors.badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${gv})`,
      );
    }
    object.kind = t.kind;
    object.apiVersion = gv;
    object.metadata = { ...(object.metadata ?? {}) };
    if (t.namespaced) {
      if (object.metadata.namespace && object.metadata.namespace !== namespace) {
        throw statusErrors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      object.metadata.namespace = namespace;
    } else delete object.metadata.namespace;
    return object;
  }

  private validate(t: ResourceType, object: KubeObject): void {
    const name = object.metadata?.name ?? '';
    const causes: { reason: string; message: string; field: string }[] = [];
    if (!name)
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      });
    else if (
      !t.resource.startsWith('cluster') &&
      !t.resource.startsWith('role') &&
      !DNS1123_SUBDOMAIN.test(name)
    ) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
        field: 'metadata.name',
      });
    }
    const spec = (object.spec ?? {}) as any;
    if (t.kind === 'Pod') {
      const containers = spec.containers;
      if (!Array.isArray(containers) || containers.length === 0) {
        causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' });
      } else {
        containers.forEach((c: any, i: number) => {
          if (!c?.name)
            causes.push({
              reason: 'FieldValueRequired',
              message: 'Required value',
              field: `spec.containers[${i}].name`,
            });
          if (!c?.image)
            causes.push({
              reason: 'FieldValueRequired',
              message: 'Required value',
              field: `spec.containers[${i}].image`,
            });
        });
      }
    }
    if (t.kind === 'Deployment' && !spec.template?.spec?.containers?.length) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers',
      });
    }
    causes.push(...validateKind(t.kind, object));
    if (causes.length) throw statusErrors.invalid(t.kind, t.group, name, causes);
  }

  private defaults(t: ResourceType, object: KubeObject, previous: KubeObject | undefined): void {
    const spec = (object.spec ?? {}) as any;
    const meta = object.metadata!;
    switch (t.kind) {
      case 'Namespace':
        object.spec = { finalizers: ['kubernetes'], ...spec };
        object.status = { phase: 'Active' };
        meta.labels = { ...meta.labels, 'kubernetes.io/metadata.name': meta.name! };
        break;
      case 'Pod': {
        spec.restartPolicy ??= 'Always';
        spec.dnsPolicy ??= 'ClusterFirst';
        spec.serviceAccountName ??= 'default';
        spec.terminationGracePeriodSeconds ??= 30;
        spec.nodeName ??= 'sim-node-1';
        for (const c of spec.containers ?? []) {
          c.imagePullPolicy ??=
            String(c.image ?? '').endsWith(':latest') || !String(c.image ?? '').includes(':')
              ? 'Always'
              : 'IfNotPresent';
          c.terminationMessagePath ??= '/dev/termination-log';
        }
        object.spec = spec;
        // Pods run at once unless a test asks otherwise with this annotation.
        const phase =
          meta.annotations?.['testkit.remoteler.dev/phase'] ?? (previous?.status as any)?.phase ?? 'Running';
        const running = phase === 'Running';
        const started = (previous?.status as any)?.startTime ?? meta.creationTimestamp;
        object.status = {
          phase,
          conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
            type,
            status: running || type === 'PodScheduled' || type === 'Initialized' ? 'True' : 'False',
            lastTransitionTime: started,
          })),
          hostIP: '127.0.0.1',
          podIP: (previous?.status as any)?.podIP ?? `10.244.0.${this.ipCounter++ % 250}`,
          startTime: started,
          containerStatuses: (spec.containers ?? []).map((c: any) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: running,
            started: running,
            restartCount: 0,
            state: running
              ? { running: { startedAt: started } }
              : phase === 'Succeeded' || phase === 'Failed'
                ? {
                    terminated: {
                      exitCode: phase === 'Succeeded' ? 0 : 1,
                      reason: phase === 'Succeeded' ? 'Completed' : 'Error',
                    },
                  }
                : { waiting: { reason: 'ContainerCreating' } },
          })),
          qosClass: 'BestEffort',
        };
        break;
      }
      case 'Deployment': {
        spec.replicas ??= 1;
        spec.strategy ??= {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        };
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
        object.spec = spec;
        const n = spec.replicas;
        object.status = {
          observedGeneration: meta.generation,
          replicas: n,
          updatedReplicas: n,
          readyReplicas: n,
          availableReplicas: n,
          conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
        };
        if (n === 0) object.status = { observedGeneration: meta.generation };
        break;
      }
      case 'Service': {
        spec.type ??= 'ClusterIP';
        spec.clusterIP ??=
          (previous?.spec as any)?.clusterIP ??
          `10.96.${Math.floor(this.ipCounter / 250)}.${this.ipCounter++ % 250}`;
        spec.clusterIPs ??= [spec.clusterIP];
        spec.sessionAffinity ??= 'None';
        for (const p of spec.ports ?? []) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
        object.spec = spec;
        object.status ??= { loadBalancer: {} };
        break;
      }
      case 'Secret': {
        object.type ??= 'Opaque';
        const stringData = object.stringData as Record<string, string> | undefined;
        if (stringData) {
          const data = { ...((object.data as Record<string, string>) ?? {}) };
          for (const [k, v] of Object.entries(stringData))
            data[k] = Buffer.from(String(v)).toString('base64');
          object.data = data;
          delete object.stringData;
        }
        break;
      }
      case 'Node':
        object.status ??= {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          nodeInfo: { kubeletVersion: 'v1.33.1' },
        };
        break;
    }
  }

  private finish(
    object: KubeObject,
    options: WriteOptions,
    type: 'ADDED' | 'MODIFIED',
    t: ResourceType,
  ): KubeObject {
    if (options.dryRun) return object;
    object.metadata!.resourceVersion = String(this.store.nextResourceVersion());
    this.store.put(typeKey(t), object, type);
    return object;
  }

  /** POST: creates an object (409 AlreadyExists, 422 Invalid, 404 for a missing namespace). */
  create(
    t: ResourceType,
    namespace: string,
    body: unknown,
    options: WriteOptions = {},
    appliedManagedFields?: unknown[],
  ): KubeObject {
    const object = this.checkBody(t, body, namespace);
    const meta = object.metadata!;
    if (!meta.name && meta.generateName)
      meta.name = `${meta.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
    this.validate(t, object);
    this.requireNamespace(t, namespace);
    if (meta.resourceVersion) {
      throw statusErrors.badRequest('resourceVersion should not be set on objects to be created');
    }
    if (this.find(t, namespace, meta.name!))
      throw statusErrors.alreadyExists(t.resource, t.group, meta.name!);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    if (tracksGeneration(t)) meta.generation = 1;
    else delete meta.generation;
    delete meta.managedFields;
    this.defaults(t, object, undefined);
    if (appliedManagedFields) meta.managedFields = appliedManagedFields;
    else if (options.fieldManager) recordUpdate(undefined, object, options.fieldManager, timestamp());
    const created = this.finish(object, options, 'ADDED', t);
    if (t.kind === 'Namespace' && !options.dryRun) this.ensureDefaultServiceAccount(meta.name!);
    return created;
  }

  /** Creates the `default` ServiceAccount of a new namespace, as the service account controller does. */
  ensureDefaultServiceAccount(namespace: string): void {
    if (this.store.get('/serviceaccounts', namespace, 'default')) return;
    const sa: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'default',
        namespace,
        uid: randomUUID(),
        creationTimestamp: timestamp(),
        resourceVersion: String(this.store.nextResourceVersion()),
      },
    };
    this.store.put('/serviceaccounts', sa, 'ADDED');
  }

  private writeBack(
    t: ResourceType,
    previous: KubeObject,
    next: KubeObject,
    options: WriteOptions,
    manager?: string,
  ): KubeObject {
    const meta = next.metadata!;
    const prev = previous.metadata!;
    // Identity fields are the server's; a client cannot change them (apiserver ObjectMetaUpdateValidation).
    meta.name = prev.name;
    if (t.namespaced) meta.namespace = prev.namespace;
    meta.uid = prev.uid;
    meta.creationTimestamp = prev.creationTimestamp;
    next.kind = t.kind;
    next.apiVersion = groupVersion(t);
    if (options.subresource === 'status') {
      // A status write changes only status (and the reverse for the main resource).
      const merged = {
        ...previous,
        status: next.status,
        metadata: { ...prev, managedFields: meta.managedFields },
      };
      return this.store2(t, previous, merged as KubeObject, options, manager);
    }
    next.status = previous.status;
    const specChanged =
      JSON.stringify({ ...next, metadata: undefined, status: undefined }) !==
      JSON.stringify({ ...previous, metadata: undefined, status: undefined });
    if (tracksGeneration(t)) meta.generation = (prev.generation ?? 1) + (specChanged ? 1 : 0);
    else delete meta.generation;
    const immutable = validateUpdate(t.kind, previous, next);
    if (immutable.length) throw statusErrors.invalid(t.kind, t.group, meta.name ?? '', immutable);
    this.validate(t, next);
    this.defaults(t, next, previous);
    return this.store2(t, previous, next, options, manager);
  }

  private store2(
    t: ResourceType,
    previous: KubeObject,
    next: KubeObject,
    options: WriteOptions,
    manager?: string,
  ): KubeObject {
    if (manager) recordUpdate(previous, next, manager, timestamp(), options.subresource);
    return this.finish(next, options, 'MODIFIED', t);
  }

  /** PUT: replaces an object; a stale metadata.resourceVersion is a 409 Conflict. */
  update(
    t: ResourceType,
    namespace: string,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const object = this.checkBody(t, body, namespace);
    if (object.metadata!.name && object.metadata!.name !== name) {
      throw statusErrors.badRequest(
        `the name of the object (${object.metadata!.name}) does not match the name on the URL (${name})`,
      );
    }
    const previous = this.get(t, namespace, name);
    const rv = object.metadata!.resourceVersion;
    if (rv && rv !== previous.metadata!.resourceVersion)
      throw statusErrors.conflict(t.resource, t.group, name);
    if (!object.metadata!.managedFields) object.metadata!.managedFields = previous.metadata!.managedFields;
    return this.writeBack(t, previous, object, options, options.fieldManager);
  }

  /** PATCH in any of the four content types; apply creates a missing object (SSA semantics). */
  patch(
    t: ResourceType,
    namespace: string,
    name: string,
    type: PatchType,
    body: unknown,
    options: WriteOptions & { force?: boolean } = {},
  ): { object: KubeObject; created: boolean } {
    const existing = this.find(t, namespace, name);
    if (type === 'apply') {
      if (!options.fieldManager) {
        throw statusErrors.badRequest(
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      }
      const config = this.checkBody(t, body, namespace);
      if (config.metadata!.name && config.metadata!.name !== name) {
        throw statusErrors.badRequest(
          `the name of the object (${config.metadata!.name}) does not match the name on the URL (${name})`,
        );
      }
      config.metadata!.name = name;
      const result = serverSideApply(
        existing,
        config,
        options.fieldManager,
        options.force === true,
        timestamp(),
      );
      if ('conflicts' in result) {
        const n = result.conflicts.length;
        const lines = result.conflicts.map(
          (c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`,
        );
        throw new StatusError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${lines.join('\n')}`,
          reason: 'Conflict',
          details: {
            causes: result.conflicts.map((c) => ({
              reason: 'FieldManagerConflict',
              message: `conflict with "${c.manager}" using ${c.apiVersion}`,
              field: c.field,
            })),
          },
          code: 409,
        });
      }
      if (!existing) {
        const managedFields = result.object.metadata!.managedFields ?? [];
        const body = { ...result.object, metadata: { ...result.object.metadata, managedFields: undefined } };
        return { object: this.create(t, namespace, body, options, managedFields), created: true };
      }
      return { object: this.writeBack(t, existing, result.object, options), created: false };
    }
    if (!existing) throw statusErrors.notFound(t.resource, t.group, name);
    let patched: unknown;
    try {
      if (type === 'json') patched = jsonPatch(existing, body);
      else if (type === 'merge') patched = mergePatch(existing, body);
      else patched = strategicMergePatch(existing, body);
    } catch (error) {
      if (error instanceof PatchError) {
        if (error.code === 400) throw statusErrors.badRequest(error.message);
        throw new StatusError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: error.message,
          reason: 'Invalid',
          code: 422,
        });
      }
      throw error;
    }
    const next = patched as KubeObject;
    if (typeof next !== 'object' || next === null)
      throw statusErrors.badRequest('the patch did not produce an object');
    const rv = next.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata!.resourceVersion)
      throw statusErrors.conflict(t.resource, t.group, name);
    next.metadata = { ...next.metadata };
    return { object: this.writeBack(t, existing, next, options, options.fieldManager), created: false };
  }

  /** DELETE of one object; deleting a namespace removes everything in it at once. */
  delete(
    t: ResourceType,
    namespace: string,
    name: string,
    options: WriteOptions & { resourceVersion?: string; uid?: string } = {},
  ): KubeObject {
    const existing = this.get(t, namespace, name);
    if (options.resourceVersion && options.resourceVersion !== existing.metadata!.resourceVersion) {
      throw statusErrors.conflict(t.resource, t.group, name);
    }
    if (options.uid && options.uid !== existing.metadata!.uid) {
      throw statusErrors.conflict(t.resource, t.group, name);
    }
    if (options.dryRun) return existing;
    if (t.kind === 'Namespace' && NAMESPACED_SYSTEM.includes(name)) {
      throw new StatusError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        reason: 'Forbidden',
        details: { name, kind: 'namespaces' },
        code: 403,
      });
    }
    return this.remove(t, namespace, name) ?? existing;
  }

  /** Removes without checks (namespace cascades), for delete and deletecollection. */
  remove(t: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const removed = this.store.remove(typeKey(t), t.namespaced ? namespace : '', name);
    if (removed && t.kind === 'Namespace') this.onNamespaceRemoved?.(name);
    return removed;
  }

  /** Set by the simulator: deletes the namespaced objects of a removed namespace. */
  onNamespaceRemoved: ((namespace: string) => void) | undefined;
}
