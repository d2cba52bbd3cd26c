import { ConsoleLogger, type LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogLevel } from '../config/app-config.js';

const ORDER: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's logger writing one JSON object per line, from `level` up. */
export function createLogger(level: LogLevel): ConsoleLogger {
  return new ConsoleLogger({ json: true, logLevels: ORDER.slice(0, ORDER.indexOf(level) + 1) });
}
