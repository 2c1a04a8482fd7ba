import { Injectable } from '@nestjs/common';

/** The one source of "now" for visibility rules, so tests can move time instead of waiting. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
