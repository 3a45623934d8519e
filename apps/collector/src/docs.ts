import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI of the standalone collector at /api/docs (JSON at /api/docs-json). */
export function setupCollectorDocs(app: INestApplication): void {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('StorePulse collector')
      .setDescription(
        'Authenticated HTTP ingest: POST /v1/events (clickstream, orders), POST /v1/inventory. See README "HTTP ingest".',
      )
      .setVersion('1')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'writeKey')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc);
}
