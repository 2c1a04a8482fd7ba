import { describe, expect, it } from '@jest/globals';

import { lastDays, viewsChart } from './views-chart.js';

const bars = (svg: string) =>
  [
    ...svg.matchAll(
      /<rect class="chart-bar" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"><title>([^<]*)<\/title>/g,
    ),
  ].map((m) => ({ x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]), title: m[5] }));

describe('lastDays', () => {
  it('fills the days without views with zeros, oldest first, ending today (UTC)', () => {
    const days = lastDays(
      [
        { day: '2026-11-24', views: 5 },
        { day: '2026-10-01', views: 99 }, // outside the window
      ],
      new Date('2026-11-25T23:59:00Z'),
      3,
    );
    expect(days).toEqual([
      { day: '2026-11-23', views: 0 },
      { day: '2026-11-24', views: 5 },
      { day: '2026-11-25', views: 0 },
    ]);
  });

  it('crosses month and year ends', () => {
    const days = lastDays([], new Date('2027-01-01T00:00:00Z'), 2);
    expect(days.map((d) => d.day)).toEqual(['2026-12-31', '2027-01-01']);
  });
});

describe('viewsChart', () => {
  const days = [
    { day: '2026-11-23', views: 2 },
    { day: '2026-11-24', views: 8 },
    { day: '2026-11-25', views: 0 },
    { day: '2026-11-26', views: 4 },
  ];

  it('draws one bar per day, scaled to the busiest day, in the SVG it returns', () => {
    const chart = viewsChart(days);
    const drawn = bars(chart.svg);
    expect(drawn).toHaveLength(4);
    expect(drawn.map((b) => b.title)).toEqual([
      '2026-11-23: 2 views',
      '2026-11-24: 8 views',
      '2026-11-25: 0 views',
      '2026-11-26: 4 views',
    ]);
    const tallest = drawn[1].height;
    expect(drawn[0].height).toBeCloseTo(tallest / 4, 1);
    expect(drawn[3].height).toBeCloseTo(tallest / 2, 1);
    expect(drawn[2].height).toBe(0);
    // Bars stand on one baseline and do not overlap.
    expect(new Set(drawn.map((b) => b.y + b.height)).size).toBe(1);
    for (let i = 1; i < drawn.length; i++) expect(drawn[i].x).toBeGreaterThanOrEqual(drawn[i - 1].x + drawn[i - 1].width);
  });

  it('is an image with a title and a summary for screen readers', () => {
    const chart = viewsChart(days);
    expect(chart.svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="views-chart-title views-chart-desc"/);
    expect(chart.svg).toContain('<title id="views-chart-title">Views per day</title>');
    expect(chart.svg).toContain(
      '<desc id="views-chart-desc">14 views in the 4 days from 2026-11-23 to 2026-11-26; the busiest day was 2026-11-24 with 8 views.</desc>',
    );
    expect(chart.total).toBe(14);
    expect([chart.first, chart.last]).toEqual(['2026-11-23', '2026-11-26']);
    expect(chart.busiest).toEqual({ day: '2026-11-24', views: 8 });
  });

  it('says so when nobody read anything, and draws no bar', () => {
    const chart = viewsChart(days.map((d) => ({ ...d, views: 0 })));
    expect(chart.svg).toContain('No views in the 4 days from 2026-11-23 to 2026-11-26.');
    expect(bars(chart.svg).every((b) => b.height === 0)).toBe(true);
    expect(chart.busiest).toBeNull();
  });

  it('never puts markup from its input into the SVG', () => {
    const chart = viewsChart([{ day: '<script>', views: 1 }]);
    expect(chart.svg).not.toContain('<script>');
    expect(chart.svg).toContain('&lt;script&gt;');
  });
});
