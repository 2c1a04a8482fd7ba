import { Get, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import {
  Clock,
  MediaService,
  PostsService,
  postUrl,
  RENDITIONS_ON_VISIT_MS,
  SocialCardsService,
  ViewCounterService,
} from '@app/content';

import { lastDays, viewsChart } from './views-chart.js';
import { AdminController } from './writes/admin-controller.decorator.js';
import { WebmentionSender } from '../webmention/sender.service.js';

const CHART_DAYS = 30;
/**
 * How long the dashboard may spend making the social cards published posts lack (after an upgrade,
 * an import, a new site name): the author's request holds the CPU, a reader's never pays for it.
 */
const CARDS_CATCH_UP_MS = 1500;

@AdminController()
@UseGuards(AdminGuard)
export class DashboardController {
  constructor(
    private readonly posts: PostsService,
    private readonly views: ViewCounterService,
    private readonly clock: Clock,
    private readonly cards: SocialCardsService,
    private readonly webmentions: WebmentionSender,
    private readonly media: MediaService,
  ) {}

  @Get()
  @Render('admin/dashboard')
  async dashboard() {
    await this.views.flush();
    // The author's first stop holds the CPU: missing cards and renditions of images from before
    // (CPU) and the media sweep (the bucket's I/O, when due) side by side, so the page waits for
    // the longest, not all of them.
    await Promise.all([
      this.cards.catchUp(CARDS_CATCH_UP_MS),
      this.media.sweepIfDue(),
      this.media.catchUpRenditions(RENDITIONS_ON_VISIT_MS),
    ]);
    // Posts that went live by their schedule since their last save tell the pages they link to.
    await this.webmentions.catchUp();
    const today = this.clock.now();
    const since = lastDays([], today, CHART_DAYS)[0].day;
    const [counts, latest, mostRead, perDay] = await Promise.all([
      this.posts.statusCounts(),
      this.posts.listForAdmin({}, 1, 5),
      this.views.mostRead(5),
      this.views.perDay(since),
    ]);
    return {
      layout: 'admin',
      title: 'Dashboard',
      counts,
      latest: latest.posts.map((p) => ({ id: p.id, title: p.title, updatedAt: p.updatedAt, status: p.status })),
      mostRead: mostRead.map((p) => ({ ...p, url: postUrl(p.slug) })),
      chart: viewsChart(lastDays(perDay, today, CHART_DAYS)),
    };
  }
}
