import { GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetConfigurationSetCommand, PutConfigurationSetSendingOptionsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { alarmsFiring, classifySending, readSendingSwitches, sendingState, setSending } from '../../src/engine/pause.js';

/**
 * Pause and resume touch SES configuration-set sending and the Lambda event source mapping. No
 * local emulator has these APIs, so they are mocked with aws-sdk-client-mock; the responses follow
 * the SESv2 GetConfigurationSet and Lambda GetEventSourceMapping API references.
 */
const ses = mockClient(SESv2Client);
const lambda = mockClient(LambdaClient);
const target = { configurationSet: 'mailengine-prod', eventSourceMappingId: '6d9bce8e-836b-442c-8070-74e77903c815' };
const clients = () => ({ ses: new SESv2Client({ region: 'eu-west-1' }), lambda: new LambdaClient({ region: 'eu-west-1' }) });

beforeEach(() => {
  ses.reset();
  lambda.reset();
});

function respond(sendingEnabled: boolean, state: string) {
  ses.on(GetConfigurationSetCommand).resolves({ ConfigurationSetName: target.configurationSet, SendingOptions: { SendingEnabled: sendingEnabled }, ReputationOptions: { ReputationMetricsEnabled: true } });
  ses.on(PutConfigurationSetSendingOptionsCommand).resolves({});
  lambda.on(UpdateEventSourceMappingCommand).resolves({ UUID: target.eventSourceMappingId, State: state === 'Disabled' ? 'Disabling' : 'Enabling' });
  lambda.on(GetEventSourceMappingCommand).resolves({ UUID: target.eventSourceMappingId, State: state, BatchSize: 10 });
}

describe('pause and resume', () => {
  it('pausing stops the Sender consuming first, then turns SES sending off', async () => {
    respond(false, 'Disabled');
    const state = await setSending(clients(), target, false);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0].args[0].input).toEqual({ UUID: target.eventSourceMappingId, Enabled: false });
    expect(ses.commandCalls(PutConfigurationSetSendingOptionsCommand)[0].args[0].input).toEqual({ ConfigurationSetName: 'mailengine-prod', SendingEnabled: false });
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0].calledBefore(ses.commandCalls(PutConfigurationSetSendingOptionsCommand)[0])).toBe(true);
    expect(state).toEqual({ state: 'paused', sesSendingEnabled: false, senderConsuming: false, mappingState: 'Disabled' });
  });

  it('resuming turns SES sending on, then the Sender', async () => {
    respond(true, 'Enabling');
    const state = await setSending(clients(), target, true);
    expect(ses.commandCalls(PutConfigurationSetSendingOptionsCommand)[0].args[0].input.SendingEnabled).toBe(true);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0].args[0].input.Enabled).toBe(true);
    expect(ses.commandCalls(PutConfigurationSetSendingOptionsCommand)[0].calledBefore(lambda.commandCalls(UpdateEventSourceMappingCommand)[0])).toBe(true);
    expect(state.state).toBe('running');
  });

  it('a switch that cannot be read: the pair is an error for pause, resume and info; read alone, the other still counts', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: lambda:GetEventSourceMapping'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    respond(false, 'Enabled');
    lambda.on(GetEventSourceMappingCommand).rejects(denied);
    await expect(sendingState(clients(), target)).rejects.toBe(denied);
    const read = await readSendingSwitches(clients(), target);
    expect(read).toEqual({ sesSendingEnabled: false, errors: { mapping: denied } });
    // Both unreadable: the SES switch's error is the one thrown.
    const sesDenied = Object.assign(new Error('not authorized: ses:GetConfigurationSet'), { name: 'AccessDeniedException' });
    ses.on(GetConfigurationSetCommand).rejects(sesDenied);
    await expect(sendingState(clients(), target)).rejects.toBe(sesDenied);
  });

  it('half paused (SES on, mapping off) is partly paused', async () => {
    respond(true, 'Disabled');
    expect((await sendingState(clients(), target)).state).toBe('partly-paused');
  });

  it('one classification of the two switches, for every mapping state Lambda reports', () => {
    const cases: Array<[boolean | undefined, string | undefined, string]> = [
      [true, 'Enabled', 'running'],
      [true, 'Enabling', 'running'],
      [true, 'Updating', 'running'],
      [true, 'Creating', 'running'],
      [true, 'Disabling', 'partly-paused'],
      [true, 'Disabled', 'partly-paused'],
      // A mapping being deleted consumes nothing: `info` and `pause` both say so.
      [true, 'Deleting', 'partly-paused'],
      [false, 'Enabled', 'partly-paused'],
      [false, 'Disabled', 'paused'],
      [false, 'Deleting', 'paused'],
      // A switch that could not be read (its name not in the stack's outputs) counts as on.
      [false, undefined, 'partly-paused'],
      [true, undefined, 'running'],
      [undefined, 'Disabled', 'partly-paused'],
      [undefined, undefined, 'unknown'],
    ];
    for (const [sesSendingEnabled, mappingState, expected] of cases) {
      expect(classifySending({ sesSendingEnabled, mappingState }).state, `${sesSendingEnabled} / ${mappingState}`).toBe(expected);
    }
  });

  it('only alarms entering ALARM pause; OK transitions and test messages do not', () => {
    const sns = (message: unknown) => ({ Sns: { Message: typeof message === 'string' ? message : JSON.stringify(message) } });
    const firing = alarmsFiring({
      Records: [
        sns({ AlarmName: 'mailengine-prod-bounce-rate-pause', NewStateValue: 'ALARM', NewStateReason: 'Threshold Crossed' }),
        sns({ AlarmName: 'mailengine-prod-complaint-rate-pause', NewStateValue: 'OK' }),
        sns('not json'),
      ],
    });
    expect(firing.map((a) => a.AlarmName)).toEqual(['mailengine-prod-bounce-rate-pause']);
  });
});
