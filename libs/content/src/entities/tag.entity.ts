import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

@Entity()
export class Tag {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 200 })
  @Unique()
  slug: string;

  @Property({ type: 'string', length: 200 })
  name: string;

  constructor(name: string, slug: string) {
    this.name = name;
    this.slug = slug;
  }
}
