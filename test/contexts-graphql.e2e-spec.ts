import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Args,
  Field,
  GraphQLModule,
  ID,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ObservabilityModule } from 'nestjs-observability';
import { findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { startTracing, type TestTracing } from './utils/tracing';

@ObjectType()
class Video {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  title!: string;
}

@Resolver(() => Video)
class VideoResolver {
  @Query(() => Video)
  async video(@Args('id', { type: () => ID }) id: string): Promise<Video> {
    await Promise.resolve();
    return { id, title: `Video ${id}` };
  }

  @Query(() => [Video])
  videos(): Video[] {
    return [{ id: '1', title: 'Video 1' }];
  }

  @Mutation(() => Boolean)
  deleteVideo(@Args('id', { type: () => ID }) id: string): boolean {
    throw new Error(`video ${id} is published`);
  }

  @ResolveField(() => Int)
  views(@Parent() video: Video): number {
    return video.id.length * 7;
  }
}

describe('contexts: GraphQL operations (@nestjs/graphql with Apollo)', () => {
  let tracing: TestTracing;
  let app: INestApplication;
  let url: string;

  const post = async (
    query: string,
  ): Promise<{ data?: unknown; errors?: Array<{ message: string }> }> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as never;
  };

  beforeAll(async () => {
    tracing = startTracing();
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'videos',
          metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false, maxSeriesPerMetric: 6 },
          health: { enabled: false },
          logging: { level: 'silent' },
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true }),
      ],
      providers: [VideoResolver],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`;
  });

  afterAll(async () => {
    await app?.close();
    await tracing?.stop();
  });

  it('counts and times each operation by type, name and status; field resolvers do not count', async () => {
    const get = 'query GetVideo { video(id: "12") { id title views } }';
    expect(await post(get)).toEqual({
      data: { video: { id: '12', title: 'Video 12', views: 14 } },
    });
    expect(await post(get)).toEqual({
      data: { video: { id: '12', title: 'Video 12', views: 14 } },
    });
    expect(await post('{ videos { id } }')).toEqual({ data: { videos: [{ id: '1' }] } });
    const deleted = await post('mutation DeleteVideo { deleteVideo(id: "3") }');
    expect(deleted.errors?.map((e) => e.message)).toEqual(['video 3 is published']);

    const { exposition } = await scrape(app);
    const s = { service: 'videos' };
    const series = (operation_type: string, operation_name: string, status: string) => ({
      ...s,
      operation_type,
      operation_name,
      status,
    });
    expect(
      sampleValue(exposition, 'graphql_requests_total', series('query', 'GetVideo', 'success')),
    ).toBe(2);
    expect(
      sampleValue(exposition, 'graphql_requests_total', series('query', 'anonymous', 'success')),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'graphql_requests_total', series('mutation', 'DeleteVideo', 'error')),
    ).toBe(1);
    expect(findSamples(exposition, 'graphql_requests_total')).toHaveLength(3);
    expect(
      sampleValue(
        exposition,
        'graphql_request_duration_seconds_count',
        series('query', 'GetVideo', 'success'),
      ),
    ).toBe(2);
    expect(exposition.types.graphql_requests_total).toBe('counter');
    expect(exposition.types.graphql_request_duration_seconds).toBe('histogram');
  });

  it('starts one span per root resolver with the operation attributes, none per field resolver', () => {
    const gets = tracing.spans('VideoResolver.video');
    expect(gets).toHaveLength(2);
    expect(gets[0].kind).toBe(SpanKind.INTERNAL);
    expect(gets[0].attributes).toEqual({
      'graphql.operation.type': 'query',
      'graphql.operation.name': 'GetVideo',
      'graphql.field.name': 'video',
    });
    expect(tracing.span('VideoResolver.videos').attributes['graphql.operation.name']).toBe(
      'anonymous',
    );
    const failed = tracing.span('VideoResolver.deleteVideo');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'video 3 is published' });
    expect(tracing.spans('VideoResolver.views')).toHaveLength(0);
  });

  it('bounds operation names: past metrics.maxSeriesPerMetric they fold into the overflow series', async () => {
    for (let i = 1; i <= 5; i++) await post(`query Client${i} { videos { id } }`);
    const { exposition } = await scrape(app);
    // 3 series already, 3 more admitted, the last 2 names folded into one overflow series.
    for (const i of [1, 2, 3]) {
      expect(
        sampleValue(exposition, 'graphql_requests_total', {
          service: 'videos',
          operation_type: 'query',
          operation_name: `Client${i}`,
          status: 'success',
        }),
      ).toBe(1);
    }
    expect(
      sampleValue(exposition, 'graphql_requests_total', {
        service: 'videos',
        operation_type: '__overflow__',
        operation_name: '__overflow__',
        status: '__overflow__',
      }),
    ).toBe(2);
    expect(findSamples(exposition, 'graphql_requests_total')).toHaveLength(7);
    expect(
      sampleValue(exposition, 'observability_label_overflow_total', {
        service: 'videos',
        metric: 'graphql_requests_total',
      }),
    ).toBe(2);
  });
});
