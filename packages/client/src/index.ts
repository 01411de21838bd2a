export { writeFileAtomic } from './atomic-file.js';
export { type ClientEnv, kubeconfigPath, remotelerHome } from './home.js';
export {
  type AddEntriesOptions,
  addKubeconfigEntries,
  contextNames,
  currentContext,
  type KubeconfigEntry,
  type KubeconfigList,
  type KubeconfigState,
  MANAGED_EXTENSION,
  removeKubeconfigEntries,
} from './kubeconfig/kubeconfig-edit.js';
export {
  type KubeconfigFileContent,
  type UpdateKubeconfigOptions,
  updateKubeconfigFile,
} from './kubeconfig/kubeconfig-file.js';
export {
  type KubeCredential,
  type Profile,
  type ProfileCluster,
  ProfileStore,
  type ProxyTrust,
} from './profile.js';
export { type ProfilePaths, profilePaths, safeName } from './profile-paths.js';
