import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ObservabilityModuleOptions } from './observability-options.interface';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<ObservabilityModuleOptions>({ moduleName: 'Observability' })
    .setClassMethodName('forRoot')
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
