/**
 * `mailengine/client`: the package's API for apps. It publishes "Email Request" events to the
 * engine's bus, checked as the engine checks them; it loads neither the CLI nor its terminal
 * libraries.
 */
export { createMailer, DEFAULT_SOURCE } from './mailer.js';
export type { AnyTemplates, DynamoDBSender, EventBridgeSender, Mailbox, MailAttachment, Mailer, MailerOptions, MailError, MailOptions, MailRequest, MailRequestFor, ScheduleResult, SendResult } from './types.js';
