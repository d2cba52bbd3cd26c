import { Logger } from '@nestjs/common';
import pg from 'pg';

const logger = new Logger('Database');

/**
 * A `pg` client that always has an 'error' listener. pg-pool takes its own listener off a client as it
 * hands the client out, and TypeORM adds one only a few microtasks later. When PostgreSQL dies, a backend
 * can send its FATAL in the same packet as the ReadyForQuery that completed a new connection; that error
 * then fires in the gap, with no listener, and an unhandled 'error' event ends the process. With this
 * listener the process lives on: the next query on that client fails as "not queryable", which the error
 * filter answers with 503 like any other lost connection.
 */
export class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', (error: Error) => {
      // Only ours: nobody else (pool, TypeORM, the caller) saw it, so say it once here.
      if (this.listenerCount('error') === 1) {
        logger.warn(`A database connection failed while nobody was using it: ${error.message}`);
      }
    });
  }
}
