/** The first post a new blog shows: it doubles as a tour of what the renderer supports. */
export const WELCOME_POST = {
  title: 'Welcome to Inkstone',
  tags: ['inkstone', 'getting started'],
  markdown: `Your blog is running. This post is here to show what a post can hold, and to tell you
where everything is. Delete it whenever you like: it will not come back.

## Writing

Sign in at [/admin](/admin) with the username \`admin\` and the password printed in the terminal
when the blog first started (or the one you set in \`ADMIN_PASSWORD\`). Posts are written in
Markdown, rendered once when you save, and served from memory afterwards.

| You write | Readers get |
|---|---|
| \`## Heading\` | a heading with a link anchor |
| \`[text](https://example.com)\` | a link |
| \\\`\\\`\\\`ts fenced code \\\`\\\`\\\` | highlighted code, no JavaScript needed |

\`\`\`ts
// Code is highlighted on the server, when you save.
export function greet(name: string): string {
  return \`Hello, \${name}!\`;
}
\`\`\`

Footnotes work too.[^1]

## Running it for real

Everything lives in one SQLite file. In production, Litestream streams that file to a Cloud
Storage bucket, so the container can disappear and nothing is lost. The README explains how to
deploy to Cloud Run with one command.

[^1]: Like this one.
`,
};

export const ABOUT_PAGE = {
  title: 'About',
  markdown: `This is the About page. Pages live at their own address (this one is [/about](/about))
and can appear in the menu at the top.

Tell your readers who you are and what you write about.
`,
};
