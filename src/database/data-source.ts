import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

/** For the TypeORM CLI: `npx typeorm -d dist/src/database/data-source.js migration:run` (needs DATABASE_URL). */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set to use the TypeORM CLI');
export default new DataSource(dataSourceOptions(url));
