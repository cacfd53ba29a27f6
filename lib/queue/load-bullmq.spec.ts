describe('loadBullMq', () => {
  afterEach(() => {
    jest.resetModules();
    jest.dontMock('bullmq');
  });

  it('loads bullmq when it is installed', async () => {
    const { loadBullMq } = await import('./load-bullmq');
    const bullmq = await loadBullMq('test');
    expect(typeof bullmq.Queue).toBe('function');
    expect(typeof bullmq.QueueEvents).toBe('function');
  });

  it('says what to install when bullmq is missing', async () => {
    jest.doMock('bullmq', () => {
      const error = new Error("Cannot find module 'bullmq' from 'lib/queue/load-bullmq.ts'");
      (error as NodeJS.ErrnoException).code = 'MODULE_NOT_FOUND';
      throw error;
    });
    const { loadBullMq } = await import('./load-bullmq');
    await expect(loadBullMq('queues.bullmq')).rejects.toThrow(
      '"queues.bullmq" needs the optional package "bullmq": install it with `npm install bullmq`.',
    );
  });
});
