import { describe, expect, it } from 'vitest';
import { isTributaryError, loadConfig } from '../../../core/index.ts';
import { HOOKED_MODULES, otelWanted, readOtelSettings } from '../../../otel/index.ts';

describe('readOtelSettings', () => {
  it('is off with no endpoint, which is the default', () => {
    const settings = readOtelSettings({});
    expect(settings).toEqual({
      tracing: false,
      prometheus: false,
      protocol: 'http/protobuf',
      unsupportedProtocol: null,
    });
    expect(otelWanted(settings)).toBe(false);
    expect(readOtelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).tracing).toBe(false);
  });

  it('traces when either OTLP endpoint variable is set', () => {
    expect(readOtelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).tracing).toBe(true);
    expect(
      readOtelSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' }).tracing,
    ).toBe(true);
  });

  it('turns everything off with OTEL_SDK_DISABLED=true, and tracing with OTEL_TRACES_EXPORTER=none', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', METRICS_PROMETHEUS: 'true' };
    expect(readOtelSettings({ ...env, OTEL_SDK_DISABLED: 'TRUE' })).toMatchObject({
      tracing: false,
      prometheus: false,
    });
    expect(readOtelSettings({ ...env, OTEL_SDK_DISABLED: 'false' })).toMatchObject({
      tracing: true,
      prometheus: true,
    });
    expect(readOtelSettings({ ...env, OTEL_TRACES_EXPORTER: 'none' })).toMatchObject({
      tracing: false,
      prometheus: true,
    });
  });

  it('sends protobuf by default, JSON on http/json, and names a protocol it cannot send', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    expect(readOtelSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe(
      'http/json',
    );
    // The traces-specific variable wins over the general one.
    expect(
      readOtelSettings({
        ...endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }).protocol,
    ).toBe('http/protobuf');
    expect(readOtelSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({
      protocol: 'http/protobuf',
      unsupportedProtocol: 'grpc',
    });
  });

  it('hooks only the instrumented modules under ESM', () => {
    expect([...HOOKED_MODULES].sort()).toEqual(['http', 'https', 'koa', 'pino', 'socket.io']);
  });
});

describe('METRICS_PROMETHEUS in the config', () => {
  it('defaults to false, parses true, and refuses anything else naming the variable', () => {
    expect(loadConfig({}).METRICS_PROMETHEUS).toBe(false);
    expect(loadConfig({ METRICS_PROMETHEUS: 'true' }).METRICS_PROMETHEUS).toBe(true);
    expect(loadConfig({ METRICS_PROMETHEUS: 'false' }).METRICS_PROMETHEUS).toBe(false);
    try {
      loadConfig({ METRICS_PROMETHEUS: 'yes' });
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain(
        'METRICS_PROMETHEUS: expected one of true, false, got "yes"',
      );
    }
  });
});
