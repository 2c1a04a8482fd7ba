import { Migration } from '@mikro-orm/migrations';

/**
 * The author's own summary of a post or page (`summary`, plain text; '' = none, the excerpt is
 * derived from the body). A column with a constant default: added in place, no table rebuild.
 * Existing rows keep their derived `excerpt`, which is what readers see until a summary is set.
 */
export class Migration20261202152000_post_summary extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`page\` add column \`summary\` text not null default '';`);
    this.addSql(`alter table \`post\` add column \`summary\` text not null default '';`);
  }
}
