export {
  type FormCredentials,
  HeadlessBrowser,
  type HeadlessBrowserOptions,
  type NavigateOptions,
} from './headless-browser.js';
export {
  startTestOidcProvider,
  type TestOidcClient,
  type TestOidcProvider,
  type TestOidcProviderOptions,
} from './test-oidc-provider.js';
