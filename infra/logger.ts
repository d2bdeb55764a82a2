import pino from 'pino';
import type { Config } from '../config/env';

export const createLogger = (cfg: Pick<Config, 'logLevel'>, name: string) => pino({ name, level: cfg.logLevel });

export type Logger = ReturnType<typeof createLogger>;
