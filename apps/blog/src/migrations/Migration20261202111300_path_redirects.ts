import { Migration } from '@mikro-orm/migrations';

/** Old addresses of an imported blog (its permalinks, feeds, `?p=ID`) that answer 301 to the new ones. */
export class Migration20261202111300_path_redirects extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`path_redirect\` (\`from_path\` text not null, \`to_path\` text not null, \`created_at\` datetime not null, primary key (\`from_path\`));`,
    );
  }
}
