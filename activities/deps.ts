import type { S3Client } from '@aws-sdk/client-s3';
import type { Stores } from '../infra/mongo/stores';
import type { Connection } from '../domain/flow/model';

/**
 * What activities may touch: the repositories, S3 through a client built per connection (its
 * credentials decrypted there), and the clock. Workers build the real ones.
 */
export interface ActivityDeps {
  stores: Stores;
  /** S3 client for a stored connection (decrypts its credentials); the platform's own store when omitted. */
  s3For(connection?: Connection): S3Client;
  now(): number;
}
