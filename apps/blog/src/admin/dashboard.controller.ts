import { Controller, Get, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import { PostsService, ViewCounterService } from '@app/content';

import { postUrl } from '../site/view-models.js';

@Controller('admin')
@UseGuards(AdminGuard)
export class DashboardController {
  constructor(
    private readonly posts: PostsService,
    private readonly views: ViewCounterService,
  ) {}

  @Get()
  @Render('admin/dashboard')
  async dashboard() {
    await this.views.flush();
    const [counts, latest, mostRead] = await Promise.all([
      this.posts.statusCounts(),
      this.posts.listForAdmin({}, 1, 5),
      this.views.mostRead(5),
    ]);
    return {
      layout: 'admin',
      title: 'Dashboard',
      counts,
      latest: latest.posts.map((p) => ({ id: p.id, title: p.title, updatedAt: p.updatedAt, status: p.status })),
      mostRead: mostRead.map((p) => ({ ...p, url: postUrl(p.slug) })),
    };
  }
}
