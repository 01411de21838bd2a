import { describeIdentityConnectorConformance } from '@remoteler/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { type OidcWorld, REDIRECT_URI, startOidcWorld } from './fixtures.js';

let world: OidcWorld;
beforeAll(async () => {
  world = await startOidcWorld();
});
afterAll(async () => {
  await world.close();
});

describeIdentityConnectorConformance('OidcConnector against oidc-provider', {
  create: () => ({
    connector: world.connector(),
    redirect: {
      redirectUri: REDIRECT_URI,
      expectedUsername: 'zoe@example.com',
      authorize: (begin) => world.authorize(begin.authorizationUrl),
    },
  }),
});
