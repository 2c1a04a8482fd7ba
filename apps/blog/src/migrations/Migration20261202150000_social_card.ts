import { Migration } from '@mikro-orm/migrations';

/** Social cards: a post's generated card and the author's replacement; media made by the blog. */
export class Migration20261202150000_social_card extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`media\` add column \`purpose\` text null;`);

    this.addSql(`alter table \`post\` add column \`card_id\` integer null;`);
    this.addSql(`alter table \`post\` add column \`card_source\` text null;`);
    this.addSql(`alter table \`post\` add column \`card_image_id\` integer null;`);
  }
}
