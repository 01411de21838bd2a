import { defineErrors } from './define.js';

/** Errors raised by `@remoteler/testkit`: the Kubernetes API simulator and its test helpers. */
export const TESTKIT_ERRORS = defineErrors({
  RMT_TESTKIT_KUBECTL_NOT_FOUND: {
    category: 'unavailable',
    summary: 'The requested kubectl version is not installed beside the `kubectl` found on PATH.',
    hint: 'Install the versioned binaries (kubectl.1.27 … kubectl.1.33, e.g. from the google-cloud-sdk kubectl component) or pass an explicit path.',
  },
  RMT_TESTKIT_KUBECTL_TIMEOUT: {
    category: 'unavailable',
    summary: 'A kubectl run started by runKubectl did not finish within its timeout and was killed.',
    hint: 'Raise `timeoutMs`, or look at the captured stderr for what kubectl was waiting on.',
  },
  RMT_TESTKIT_WAIT_TIMEOUT: {
    category: 'unavailable',
    summary: 'A test helper waited for something (a request, an output line) that did not happen in time.',
    hint: 'Check that the awaited action really happens; the error names what was awaited.',
  },
  RMT_TESTKIT_OPTIONS_INVALID: {
    category: 'input',
    summary: 'Options given to the Kubernetes API simulator or its CLI did not validate.',
    hint: 'Fix the named option; `remoteler-kube-sim --help` lists the CLI flags.',
  },
  RMT_TESTKIT_CLOSED: {
    category: 'unavailable',
    summary: 'The Kubernetes API simulator was used after close().',
    hint: 'Start a new simulator; a closed one cannot be reopened.',
  },
});
