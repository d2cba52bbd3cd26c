import { CreateUsersAndApiTokens1795385975418 } from './1795385975418-CreateUsersAndApiTokens.js';
import { SessionsAndLoginThrottle1795387954768 } from './1795387954768-SessionsAndLoginThrottle.js';
import { SsoReplayStore1795389972685 } from './1795389972685-SsoReplayStore.js';
import { SessionSignInMethod1795472000000 } from './1795472000000-SessionSignInMethod.js';
import { UsersNewestFirstIndex1795480000000 } from './1795480000000-UsersNewestFirstIndex.js';
import { SearchTextStatistics1795560000000 } from './1795560000000-SearchTextStatistics.js';
import { SearchPatternOutOfPlanning1795640000000 } from './1795640000000-SearchPatternOutOfPlanning.js';
import { SessionsTable1795700000000 } from './1795700000000-SessionsTable.js';
import { OidcProvider1795800000000 } from './1795800000000-OidcProvider.js';
import { OidcConsents1795900000000 } from './1795900000000-OidcConsents.js';

/**
 * Every migration, oldest first. Listed rather than globbed so that the app, the TypeORM CLI and
 * the tests load exactly the same set whether they run from TypeScript or from dist/.
 */
export const migrations = [
  CreateUsersAndApiTokens1795385975418,
  SessionsAndLoginThrottle1795387954768,
  SsoReplayStore1795389972685,
  SessionSignInMethod1795472000000,
  UsersNewestFirstIndex1795480000000,
  SearchTextStatistics1795560000000,
  SearchPatternOutOfPlanning1795640000000,
  SessionsTable1795700000000,
  OidcProvider1795800000000,
  OidcConsents1795900000000,
];
