/** One UTC day of the view counter: `day` is YYYY-MM-DD. */
export interface DayViews {
  day: string;
  views: number;
}

export interface ViewsChart {
  /** The SVG markup, safe to put in the page as is (numbers and dates only, escaped anyway). */
  svg: string;
  total: number;
  busiest: DayViews | null;
  days: DayViews[];
  /** The first and last day, shown under the chart as text (SVG text would shrink with the chart). */
  first: string;
  last: string;
}

const WIDTH = 600;
const HEIGHT = 100;
const GAP = 2;

/**
 * The last `count` days ending with `today`, oldest first, with the days nobody read anything
 * as zeros: the counter only stores days that had views.
 */
export function lastDays(rows: readonly DayViews[], today: Date, count: number): DayViews[] {
  const byDay = new Map(rows.map((r) => [r.day, r.views]));
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return { day, views: byDay.get(day) ?? 0 };
  });
}

/**
 * Views per day as a small bar chart drawn on the server: no script, no third party. Screen
 * readers get the title and a one-sentence summary; the page adds the numbers as a table.
 * Colours come from CSS classes (admin.css), so the chart follows the light and dark themes.
 */
export function viewsChart(days: readonly DayViews[]): ViewsChart {
  const total = days.reduce((sum, d) => sum + d.views, 0);
  const busiest = days.reduce<DayViews | null>((best, d) => (d.views > (best?.views ?? 0) ? d : best), null);
  const max = Math.max(1, ...days.map((d) => d.views));
  const slot = WIDTH / Math.max(1, days.length);
  const plot = HEIGHT - 1; // the baseline's stroke
  const bars = days
    .map((d, i) => {
      const height = d.views === 0 ? 0 : Math.max(1, (d.views / max) * plot);
      const x = i * slot + GAP / 2;
      return (
        `<rect class="chart-bar" x="${fixed(x)}" y="${fixed(plot - height)}" width="${fixed(slot - GAP)}" ` +
        `height="${fixed(height)}"><title>${escape(d.day)}: ${plural(d.views)}</title></rect>`
      );
    })
    .join('');
  const first = days[0]?.day ?? '';
  const last = days.at(-1)?.day ?? '';
  const summary =
    total === 0
      ? `No views in the ${days.length} days from ${first} to ${last}.`
      : `${plural(total)} in the ${days.length} days from ${first} to ${last}; ` +
        `the busiest day was ${busiest!.day} with ${plural(busiest!.views)}.`;
  const svg =
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="views-chart-title views-chart-desc" ` +
    `xmlns="http://www.w3.org/2000/svg">` +
    `<title id="views-chart-title">Views per day</title><desc id="views-chart-desc">${escape(summary)}</desc>` +
    `<line class="chart-axis" x1="0" y1="${plot + 0.5}" x2="${WIDTH}" y2="${plot + 0.5}"/>` +
    bars +
    `</svg>`;
  return { svg, total, busiest, days: [...days], first, last };
}

const fixed = (n: number) => String(Math.round(n * 100) / 100);
const plural = (n: number) => `${n} ${n === 1 ? 'view' : 'views'}`;
const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
