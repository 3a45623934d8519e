import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI document of the app's HTTP API at /api/docs (JSON at /api/docs-json). */
export function setupApiDocs(app: INestApplication, title = 'StorePulse'): void {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(title)
      .setDescription(
        'Consumer lag (offsets and seconds), Burrow-style statuses, alerts and the live stream behind the ops dashboard. See docs/monitoring.md.',
      )
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc);
}
