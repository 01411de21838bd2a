/**
 * Whether a request target belongs to the web API (`/v1`, `/v1/…`, `/v1?…`) that the Proxy's web port
 * serves beside Kubernetes. Decided on the raw target, before any decoding: `/v1/../api` stays with
 * the web API (which has no such route), and `/api/../v1` stays with Kubernetes (whose path guard
 * refuses dot segments), so no spelling reaches the other side. No Kubernetes API path starts with
 * `/v1` (they start with `/api`, `/apis`, `/version`, `/openapi`, `/healthz`, `/livez`, `/readyz`…).
 */
export function isWebApiPath(target: string | undefined): boolean {
  if (!target?.startsWith('/v1')) return false;
  const next = target.charAt(3);
  return next === '' || next === '/' || next === '?';
}
