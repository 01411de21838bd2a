export { type KubeObject, RESOURCE_TYPES, type ResourceType } from './api/resource-types.js';
export type { ImpersonationHeaders } from './auth/impersonation.js';
export type { IssuedServiceAccountToken } from './auth/service-account-tokens.js';
export type { TokenUser, UserInfo } from './auth/user-info.js';
export { runSimulatorCli, type SimulatorCliIo } from './cli/run-simulator-cli.js';
export {
  type WriteKubeconfigOptions,
  type WrittenKubeconfig,
  writeKubeconfig,
} from './helpers/kubeconfig.js';
export {
  type KubectlProcess,
  type KubectlResult,
  type KubectlRunOptions,
  kubectlPath,
  runKubectl,
  startKubectl,
} from './helpers/kubectl.js';
export { type NodeScriptOptions, runNodeScript, type ScriptResult } from './helpers/node-script.js';
export { type PtyKubectl, startPtyKubectl } from './helpers/pty-kubectl.js';
export type { KubeStatus, StatusCause } from './http/status.js';
export {
  type CertificateAndKey,
  createTestCertificateAuthority,
  type IssueOptions,
  type TestCertificateAuthority,
} from './pki/test-ca.js';
export {
  KubeApiSimulator,
  type KubeApiSimulatorOptions,
  type RecordedRequest,
  type WaitForRequestOptions,
} from './simulator.js';
// The exec / attach / port-forward layer (src/streams/, maintained with it): PodStreamServer, ContainerRuntime…
export * from './streams/index.js';
