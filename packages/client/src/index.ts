export { AdminClient, type CreatedJoinToken, type JoinTokenInfo } from './admin/admin-client.js';
export {
  ADMIN_COLLECTIONS,
  type AdminCollection,
  collectionOf,
  collectionOfKind,
  resourceKindOf,
} from './admin/admin-kinds.js';
export { type AppliedResource, applyResources, parseResourceFile } from './admin/apply-resources.js';
export {
  diffResources,
  type FieldChange,
  formatChanges,
  sameValue,
  withoutManagedFields,
} from './admin/resource-diff.js';
export { formatTable, renderResourceTable } from './admin/resource-table.js';
export { type AdminCliIo, type JoinInstructions, joinInstructions, runAdmin } from './admin-cli.js';
export { writeFileAtomic } from './atomic-file.js';
export { type CliIo, EXIT_CODES, parseTtl, runCli } from './cli.js';
export { COMMAND_TREE, type CommandSpec, FLAG_VALUES, type FlagValue } from './command-tree.js';
export {
  type AddedUser,
  type AddUserOptions,
  addUser,
  type CreateLockOptions,
  createLock,
} from './commands/admin.js';
export { type KubeCredentialsOptions, kubeCredentials } from './commands/credentials.js';
export { type KubeClusterRow, kubeList, kubeLogin } from './commands/kube.js';
export { type LoginOptions, login, normaliseProxy } from './commands/login.js';
export { logout } from './commands/logout.js';
export { COMPLETION_SHELLS, type CompletionShell, completionScript } from './completion.js';
export { type ClientContext, type ClientContextOptions, createClientContext } from './context.js';
export {
  EXEC_API_VERSION,
  execCredentialJson,
  execIsInteractive,
  FRESH_MARGIN_MS,
} from './exec-credential.js';
export { type ClientEnv, kubeconfigPath, remotelerHome } from './home.js';
export { type ClientKeyPair, generateClientKeyPair } from './keys.js';
export { kubeEntryName, removeFromKubeconfig, syncKubeconfig } from './kube-entries.js';
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
export { certificateNotAfter, ProxyClient, type ProxyClientOptions, proxyUrl } from './proxy-client.js';
export { type RenewLockOptions, withRenewLock } from './renew-lock.js';
export {
  createPkce,
  type LoopbackListener,
  type LoopbackOptions,
  type Pkce,
  startLoopbackListener,
} from './sso-loopback.js';
