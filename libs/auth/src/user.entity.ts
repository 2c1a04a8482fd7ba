import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

@Entity({ tableName: 'user' })
export class User {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 64 })
  @Unique()
  username: string;

  @Property({ type: 'string', length: 255 })
  passwordHash: string;

  /**
   * Sessions carry the epoch they were issued in; bumping it (logout, password change) revokes
   * every cookie issued before, including stolen ones.
   */
  @Property({ type: 'integer' })
  sessionEpoch = 0;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(username: string, passwordHash: string) {
    this.username = username;
    this.passwordHash = passwordHash;
  }
}

export const authEntities = [User];
