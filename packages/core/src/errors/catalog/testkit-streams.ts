import { defineErrors } from './define.js';

/** Errors raised by the testkit's streaming sessions and fake container runtime. */
export const TESTKIT_STREAMS_ERRORS = defineErrors({
  RMT_TESTKIT_STREAM_OPTION_INVALID: {
    category: 'input',
    summary:
      'A container runtime call got an invalid argument (a port outside 1-65535, an empty program name, a relative path).',
    hint: 'Fix the argument named in the message; ports are TCP ports and paths are absolute POSIX paths.',
  },
  RMT_TESTKIT_STREAM_FILE_ERROR: {
    category: 'input',
    summary:
      'A call on a fake container filesystem failed: no such file, not a directory, is a directory, exists.',
    hint: 'Seed the path first with runtime.fileSystem(ref).writeFile or mkdir; the error names the errno.',
  },
  RMT_TESTKIT_STREAM_CLOSED: {
    category: 'unavailable',
    summary: 'The pod stream server was closed, so no new exec, attach or port-forward session can start.',
    hint: 'Start a new simulator; a closed one does not reopen.',
  },
});
