import { Migration } from '@mikro-orm/migrations';

/**
 * Images from before the pipeline that it refuses say why (media.entity.ts `refused`), so that no
 * start tries them again. A nullable column: added in place, no table rebuild.
 */
export class Migration20261202105824_media_refused extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`media\` add column \`refused\` text null;`);
  }
}
