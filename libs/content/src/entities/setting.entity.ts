import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** One row per setting; the value is JSON so a setting can be a list (nav, social links). */
@Entity()
export class Setting {
  @PrimaryKey({ type: 'string', length: 100 })
  key: string;

  @Property({ type: 'text' })
  value: string;

  constructor(key: string, value: unknown) {
    this.key = key;
    this.value = JSON.stringify(value);
  }
}
