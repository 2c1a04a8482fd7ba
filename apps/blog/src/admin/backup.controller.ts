import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import {
  BadRequestException,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  type NestInterceptor,
  PayloadTooLargeException,
  Post,
  Render,
  Req,
  Res,
  UploadedFiles,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FilesInterceptor } from '@nestjs/platform-express';
import Database from 'better-sqlite3';
import type { Request, Response } from 'express';
import { catchError, type Observable, throwError } from 'rxjs';

import { AdminGuard } from '@app/auth';
import {
  ContentValidationError,
  describeReport,
  ExportService,
  type ImportReport,
  ImportService,
  readImport,
  sourceFile,
  type SourceFile,
} from '@app/content';

import { DATABASE_PATH } from '../database/database.module.js';
import { field } from './forms.js';
import { CLOUD_RUN_MAX_REQUEST_BYTES, WEB_IMPORT_MAX_BYTES, WEB_IMPORT_MAX_MB, webImportTooLarge } from './import-limit.js';
import { AdminController } from './writes/admin-controller.decorator.js';
import { page, type WriteOutcome } from './writes/outcome.js';

const MAX_MB = WEB_IMPORT_MAX_MB;
/** A folder of Markdown files arrives as one part per file. */
const MAX_FILES = 5000;

const tooLarge = () => new PayloadTooLargeException(webImportTooLarge());

/** Refuses an upload by its announced size, before multer reads a byte of it (as Cloud Run would). */
@Injectable()
class ImportSizeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const length = Number(context.switchToHttp().getRequest<Request>().headers['content-length']);
    if (length > CLOUD_RUN_MAX_REQUEST_BYTES) throw tooLarge();
    return true;
  }
}

/** An upload without a Content-Length is cut by multer's limit instead: give it the same message. */
@Injectable()
class ImportLimitMessage implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(catchError((err: unknown) => throwError(() => (err instanceof PayloadTooLargeException ? tooLarge() : err))));
  }
}

/** sqlite3_backup_step's "every remaining page" (better-sqlite3 caps a step at 2^31 - 1 pages). */
const ALL_PAGES = 0x7fffffff;

const day = () => new Date().toISOString().slice(0, 10);

/** Moving in, moving out, backing up: the export, the import and the database snapshot. */
@AdminController('backup')
@UseGuards(AdminGuard)
export class AdminBackupController {
  /** A database download is being prepared or sent (its copy occupies memory on Cloud Run). */
  private downloading = false;

  constructor(
    private readonly exporter: ExportService,
    private readonly importer: ImportService,
    @Inject(DATABASE_PATH) private readonly databasePath: string,
  ) {}

  @Get()
  @Render('admin/backup')
  page() {
    return { layout: 'admin', title: 'Backup & import', maxMb: MAX_MB };
  }

  /** The whole blog as one JSON document, written to the response record by record. */
  @Get('export')
  async export(@Res() res: Response): Promise<void> {
    const chunks = await this.exporter.open();
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="inkstone-export-${day()}.json"`);
    await pipeline(Readable.from(chunks), res);
  }

  /**
   * A consistent copy of the live database: SQLite's online backup into a temporary file (a
   * plain copy of a WAL-mode file can miss committed pages or catch a half-written one).
   * On Cloud Run that file is in RAM and counts against the instance's memory, as the database
   * does: so one download at a time (a second one is told to retry), and the file is unlinked as
   * soon as it is open for sending (its pages are freed when the response ends, however it ends).
   * (Streaming pages without the copy would need SQLite's sqlite_dbpage, which better-sqlite3's
   * build leaves out.) The copy is made in one step, holding the event loop while it copies (the
   * 129 MB database after the largest web import: a 5.9 s download in all, on a loaded machine).
   */
  @Get('database')
  async database(@Res() res: Response): Promise<void> {
    if (this.downloading) {
      res.status(429).setHeader('Retry-After', '10');
      res.type('text/plain').send('Another database download is being sent; try again when it has finished.');
      return;
    }
    this.downloading = true;
    const dir = await mkdtemp(join(tmpdir(), 'inkstone-backup-'));
    const file = join(dir, 'inkstone.db');
    try {
      const db = new Database(this.databasePath, { readonly: true, fileMustExist: true });
      try {
        // In one step (after the API's first, empty one): a backup that yields between steps starts
        // over whenever another connection commits, and may never end while writes keep committing.
        await db.backup(file, { progress: () => ALL_PAGES });
      } finally {
        db.close();
      }
      const handle = await open(file);
      await rm(dir, { recursive: true, force: true });
      res.setHeader('Content-Type', 'application/vnd.sqlite3');
      res.setHeader('Content-Length', String((await handle.stat()).size));
      res.setHeader('Content-Disposition', `attachment; filename="inkstone-${day()}.db"`);
      await pipeline(handle.createReadStream(), res);
    } finally {
      this.downloading = false;
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * One export file (ours, Ghost's JSON, WordPress's XML) with its images beside it (files or a
   * zip), or a folder (Markdown files, or an export with its images); the CSRF token is in the query.
   */
  @Post('import')
  @UseGuards(ImportSizeGuard)
  @UseInterceptors(
    ImportLimitMessage,
    FilesInterceptor('files', MAX_FILES, {
      defParamCharset: 'utf8',
      // A folder upload names each file by its path in the folder (a page bundle's slug is its folder).
      preservePath: true,
      limits: { fileSize: WEB_IMPORT_MAX_BYTES, files: MAX_FILES, fields: 5 },
    }),
  )
  async import(@UploadedFiles() uploads: Express.Multer.File[] | undefined, @Req() req: Request): Promise<WriteOutcome> {
    const files: SourceFile[] = (uploads ?? []).filter((f) => f.size > 0).map((f) => sourceFile(f.originalname, f.buffer));
    if (files.length === 0) throw new BadRequestException('Choose an export file or a folder of Markdown files to import.');
    const total = files.reduce((n, f) => n + (f.bytes?.length ?? f.text.length), 0);
    if (total > WEB_IMPORT_MAX_BYTES) throw tooLarge();
    const dryRun = field(req.body as Record<string, unknown>, 'dryRun') !== '';
    const source = files.length === 1 ? files[0].path : `${files[0].path.split('/')[0] || 'folder'} (${files.length} files)`;
    let report: ImportReport;
    try {
      report = await this.importer.run(await readImport(source, files), { dryRun });
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      const refused = {
        layout: 'admin',
        title: 'Backup & import',
        maxMb: MAX_MB,
        error: `Import refused: ${err.message} Nothing was changed.`,
      };
      return page('admin/backup', refused, { status: 400 });
    }
    const model = {
      layout: 'admin',
      title: 'Backup & import',
      maxMb: MAX_MB,
      report: { ...describeReport(report), warnings: report.warnings },
    };
    // A dry run writes nothing: nothing to wait for.
    return page('admin/backup', model, { wrote: !dryRun });
  }
}
