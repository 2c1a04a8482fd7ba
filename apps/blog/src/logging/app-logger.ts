import type { LoggerService, LogLevel as NestLevel } from '@nestjs/common';

import type { LogLevel } from '../config/config.js';

type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
const SEVERITY_RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };
/** Nest's start-up chatter (one line per module and route): useful when debugging only. */
const CHATTY_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** The fields of Cloud Logging's HttpRequest that a request log line carries. */
export interface HttpRequestLog {
  requestMethod: string;
  requestUrl: string;
  status: number;
  responseSize?: string;
  userAgent?: string;
  latency: string;
  protocol?: string;
}

/**
 * JSON lines in Cloud Logging's structured format in production (severity, message,
 * httpRequest are read by the agent), short readable lines locally.
 */
export class AppLogger implements LoggerService {
  constructor(
    private readonly json: boolean,
    private readonly level: LogLevel,
    private readonly out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  log(message: unknown, context?: string): void {
    this.write(context && CHATTY_CONTEXTS.has(context) ? 'DEBUG' : 'INFO', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    // Nest passes (message, stack, context) or (message, context).
    const ctx = context ?? (stackOrContext && !stackOrContext.includes('\n') ? stackOrContext : undefined);
    const stack = stackOrContext && stackOrContext.includes('\n') ? stackOrContext : undefined;
    this.write('ERROR', message, ctx, stack ? { stack_trace: stack } : undefined);
  }
  warn(message: unknown, context?: string): void {
    this.write('WARNING', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('DEBUG', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('DEBUG', message, context);
  }
  setLogLevels(_levels: NestLevel[]): void {
    // The level comes from LOG_LEVEL only.
  }

  request(http: HttpRequestLog): void {
    const severity: Severity = http.status >= 500 ? 'ERROR' : http.status >= 400 ? 'WARNING' : 'INFO';
    const message = `${http.requestMethod} ${http.requestUrl} ${http.status} ${http.latency}`;
    this.write(severity, message, 'http', { httpRequest: http });
  }

  private write(severity: Severity, message: unknown, context?: string, extra?: Record<string, unknown>): void {
    if (SEVERITY_RANK[severity] < RANK[this.level]) return;
    const text =
      message instanceof Error
        ? (message.stack ?? message.message)
        : typeof message === 'string'
          ? message
          : JSON.stringify(message);
    if (this.json) {
      this.out(JSON.stringify({ severity, message: text, ...(context ? { context } : {}), ...extra }));
    } else {
      const trace = extra?.stack_trace ? `\n${String(extra.stack_trace)}` : '';
      this.out(`${severity.padEnd(7)} ${context ? `[${context}] ` : ''}${text}${trace}`);
    }
  }
}
