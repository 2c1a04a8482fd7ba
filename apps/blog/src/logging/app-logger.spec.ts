import { AppLogger } from './app-logger.js';

describe('AppLogger', () => {
  it('writes Cloud Logging JSON with severity, message and httpRequest', () => {
    const lines: string[] = [];
    const logger = new AppLogger(true, 'info', (l) => lines.push(l));
    logger.log('listening', 'Bootstrap');
    logger.request({ requestMethod: 'GET', requestUrl: '/x', status: 404, latency: '0.002s' });
    logger.debug('hidden below info');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { severity: 'INFO', message: 'listening', context: 'Bootstrap' },
      {
        severity: 'WARNING',
        message: 'GET /x 404 0.002s',
        context: 'http',
        httpRequest: { requestMethod: 'GET', requestUrl: '/x', status: 404, latency: '0.002s' },
      },
    ]);
  });

  it('keeps the stack trace of errors in a field, and prints plain lines locally', () => {
    const lines: string[] = [];
    new AppLogger(true, 'warn', (l) => lines.push(l)).error('boom', 'Error: boom\n    at x', 'Filter');
    expect(JSON.parse(lines[0])).toEqual({
      severity: 'ERROR',
      message: 'boom',
      context: 'Filter',
      stack_trace: 'Error: boom\n    at x',
    });
    const text: string[] = [];
    new AppLogger(false, 'info', (l) => text.push(l)).warn('careful', 'Db');
    expect(text).toEqual(['WARNING [Db] careful']);
  });

  it('says nothing when silent', () => {
    const lines: string[] = [];
    new AppLogger(false, 'silent', (l) => lines.push(l)).error('x');
    expect(lines).toEqual([]);
  });
});
