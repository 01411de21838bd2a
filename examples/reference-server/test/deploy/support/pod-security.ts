// biome-ignore lint/suspicious/noExplicitAny: pod specs are free-form JSON
type PodSpec = Record<string, any>;

/** Volume types the "restricted" Pod Security Standard allows (kubernetes.io/docs/concepts/security/pod-security-standards). */
const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

/**
 * What a pod spec does against the Pod Security Standards "restricted" profile (which includes
 * "baseline"), one line per violated control; empty when the pod passes. Checks the controls as
 * the standard words them: host namespaces and ports, privileged, capabilities, hostPath and other
 * volume types, /proc mount, seccomp, sysctls, privilege escalation, non-root user and group.
 */
export function restrictedViolations(pod: PodSpec): string[] {
  const out: string[] = [];
  const podContext = pod.securityContext ?? {};
  const containers: PodSpec[] = [
    ...(pod.initContainers ?? []),
    ...(pod.containers ?? []),
    ...(pod.ephemeralContainers ?? []),
  ];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[key] === true) out.push(`${key} is true`);
  if (podContext.windowsOptions?.hostProcess) out.push('hostProcess');
  for (const sysctl of podContext.sysctls ?? []) out.push(`sysctl ${sysctl.name}`);
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.includes(type)) out.push(`volume ${volume.name} has type ${type}`);
  }
  if (['Unconfined'].includes(podContext.seccompProfile?.type)) out.push('pod seccomp Unconfined');
  if (podContext.runAsUser === 0) out.push('pod runAsUser 0');
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const name = `container ${c.name}`;
    if (sc.privileged) out.push(`${name} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${name} allowPrivilegeEscalation is not false`);
    if ((sc.runAsNonRoot ?? podContext.runAsNonRoot) !== true) out.push(`${name} runAsNonRoot is not true`);
    if (sc.runAsUser === 0) out.push(`${name} runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      out.push(`${name} seccomp ${seccomp ?? 'unset'}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${name} does not drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== 'NET_BIND_SERVICE' || !BASELINE_CAPABILITIES.includes(cap)) out.push(`${name} adds ${cap}`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default')
      out.push(`${name} procMount ${sc.procMount}`);
    for (const port of c.ports ?? []) if (port.hostPort) out.push(`${name} hostPort ${port.hostPort}`);
  }
  return out;
}
