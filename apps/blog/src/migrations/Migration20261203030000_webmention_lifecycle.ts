import { Migration } from '@mikro-orm/migrations';

/**
 * Webmention for scheduled and deleted posts:
 * - `post.mentions_sent_at`: when a post's Webmentions were last sent in full. Posts already live
 *   now are settled (they sent on their saves, or were imported); posts still scheduled stay null,
 *   so they send once they go live (webmentions.service.ts `nextDue`). Dates are epoch ms.
 * - `gone_path`: addresses of deleted posts, which answer 410 Gone.
 */
export class Migration20261203030000_webmention_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`post\` add column \`mentions_sent_at\` datetime null;`);
    this.addSql(
      `update \`post\` set \`mentions_sent_at\` = cast(strftime('%s', 'now') as integer) * 1000
        where \`status\` = 'published' and \`published_at\` <= cast(strftime('%s', 'now') as integer) * 1000;`,
    );
    this.addSql(`create table \`gone_path\` (\`path\` text not null, \`gone_at\` datetime not null, primary key (\`path\`));`);
  }
}
