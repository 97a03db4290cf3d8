import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/templates/render.js';
import { DirectoryStore, listTemplateNames } from '../../src/templates/store.js';
import { loadTemplate } from '../../src/templates/template.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));
const store = new DirectoryStore(STARTERS, 'starter-templates');
const names = listTemplateNames(STARTERS);

function load(name: string) {
  return loadTemplate(store, name);
}

/** Subject and text part, as a reader of the plain-text email sees them. */
function textEmail(name: string): string {
  const template = load(name);
  const email = renderTemplate(template, template.metadata.sampleData);
  return `Subject: ${email.subject}\n\n${email.text}`;
}

describe('starter templates', () => {
  it('include every email the product promises', () => {
    expect(names).toEqual([
      'contact-form-notification',
      'email-verification',
      'invoice',
      'magic-link',
      'new-sign-in',
      'order-confirmation',
      'password-reset',
      'payment-failed',
      'shipping-notification',
      'sign-in-code',
      'subscription-renewal',
      'welcome',
    ]);
  });

  it.each(names)('%s renders its sample data with every variable defined', (name) => {
    const template = load(name);
    expect(template.metadata.sampleData).toBeDefined();
    // throwOnUndefined is on: rendering at all proves no variable was missing.
    const email = renderTemplate(template, template.metadata.sampleData);
    for (const part of [email.subject, email.html, email.text]) {
      expect(part).not.toMatch(/\bundefined\b|\bNaN\b|\[object Object\]/);
    }
    expect(email.subject.length).toBeGreaterThan(10);
    expect(email.subject.length).toBeLessThan(90);
  });

  it.each(names)('%s still renders with only its required variables', (name) => {
    const template = load(name);
    const sample = template.metadata.sampleData ?? {};
    const minimal = Object.fromEntries(template.metadata.requiredVariables.map((v) => [v, sample[v]]));
    const email = renderTemplate(template, minimal);
    expect(email.text.trim().length).toBeGreaterThan(100);
  });

  it.each(names)('%s is a responsive, Outlook-safe, dark-mode-aware email with the shared branding', (name) => {
    const template = load(name);
    const { html, text } = renderTemplate(template, template.metadata.sampleData);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).toContain('@media only screen and (max-width: 620px)');
    expect(html).toContain('<!--[if mso]>');
    expect(html).toMatch(/<table role="presentation"/);
    // The hidden preheader comes first in the body and is not empty.
    expect(html).toMatch(/<div style="display: none;[^"]*">[^<&]{20,}/);
    // After it, and nothing else before the div closes, the filler that keeps inboxes from
    // padding the preview with the body: sixty invisible triplets, no whitespace between.
    const hidden = /<div style="display: none;[^"]*">([^<]*)<\/div>/.exec(html)![1];
    expect(hidden).toMatch(/[^&\s](?:&#847;&zwnj;&nbsp;){60}$/);
    expect(hidden.split('&#847;&zwnj;&nbsp;')).toHaveLength(61);
    // CAN-SPAM: the postal address from brand.json, in both parts.
    const brand = template.defaults as { postalAddress: string; companyName: string };
    expect(html).toContain(brand.postalAddress);
    expect(text).toContain(brand.postalAddress);
    // Every button is the bulletproof kind: a VML shape for Outlook next to the link.
    const buttons = html.match(/<a href="[^"]*" target="_blank"/g)?.length ?? 0;
    expect(html.match(/<v:roundrect/g)?.length ?? 0).toBe(buttons);
  });

  it('the contact form notification sets Reply-To to the person who wrote', () => {
    const template = load('contact-form-notification');
    const email = renderTemplate(template, template.metadata.sampleData);
    expect(email.replyTo).toBe('daniel.reyes@example.net');
    expect(email.senderName).toBe('Acme website');
  });

  it('the invoice becomes a receipt once paidAt is given', () => {
    const template = load('invoice');
    const paid = renderTemplate(template, { ...template.metadata.sampleData, paidAt: '2026-03-20T10:00:00Z' });
    expect(paid.subject).toBe('Receipt INV-2026-0311 from Acme');
    expect(paid.text).toContain('Total paid: €79.34');
    expect(paid.text).not.toContain('Pay the invoice online');
  });

  it('user-supplied text is escaped in HTML and kept as written in the text part', () => {
    const template = load('contact-form-notification');
    const data = { ...template.metadata.sampleData, message: '<script>alert(1)</script>\nLine two' };
    const email = renderTemplate(template, data);
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;<br />\nLine two');
    expect(email.html).not.toContain('<script>');
    expect(email.text).toContain('<script>alert(1)</script>\nLine two');
  });

  it('welcome', () => {
    expect(textEmail('welcome')).toMatchInlineSnapshot(`
      "Subject: Welcome to Acme, Maya

      Welcome aboard, Maya

      Thanks for signing up for Acme. Your account is ready to use.

      A few things worth doing first:
        1. Complete your profile
        2. Invite your teammates
        3. Connect your first data source

      Go to your dashboard: https://app.example.com/dashboard

      If you get stuck, the help centre answers the common questions:
      https://help.example.com
      A real person reads every email sent to our support address below.

      ------------------------------------------------------------
      You are receiving this email because an account was created at Acme with this address.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('email-verification', () => {
    expect(textEmail('email-verification')).toMatchInlineSnapshot(`
      "Subject: Confirm your email address for Acme

      Confirm your email address

      Hi Maya,

      Please confirm that this is your email address. It keeps your Acme account secure and makes sure important messages, such as password resets, reach you.

      Open this link to confirm:
      https://app.example.com/verify?token=6f1c2a9e

      Or enter this code where you signed up: 482917

      The link and the code stop working after 24 hours. You can ask for a new one at any time.

      If you did not create an account with Acme, ignore this email. Nothing happens until the address is confirmed.

      ------------------------------------------------------------
      You are receiving this email because this address was used to sign up for Acme.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('password-reset', () => {
    expect(textEmail('password-reset')).toMatchInlineSnapshot(`
      "Subject: Reset your Acme password

      Reset your password

      Hi Maya,

      We received a request to reset the password for your Acme account. Open this link to choose a new one:
      https://app.example.com/reset-password?token=c81d4e2f

      For your security, the link works only once and expires in 1 hour.

      The request came from:
      Time: March 14, 2026, 5:30 AM EDT
      Location (approximate): Toronto, Canada
      IP address: 203.0.113.42

      If you did not ask to reset your password, ignore this email: your password stays as it is and nobody can change it without this link.

      ------------------------------------------------------------
      You are receiving this email because someone asked to reset the password of the Acme account linked to this address.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('sign-in-code', () => {
    expect(textEmail('sign-in-code')).toMatchInlineSnapshot(`
      "Subject: 731 508 is your Acme sign-in code

      Your sign-in code

      Hi Maya,

      Enter this code to finish signing in to Acme:

          731 508

      The code expires in 10 minutes.

      Never share this code with anyone. Acme staff will never ask you for it.

      If you did not try to sign in, you can ignore this email: nobody can get in without the code. If it keeps happening, consider changing your password.

      ------------------------------------------------------------
      You are receiving this email because someone tried to sign in to the Acme account linked to this address.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('magic-link', () => {
    expect(textEmail('magic-link')).toMatchInlineSnapshot(`
      "Subject: Your sign-in link for Acme

      Sign in to Acme

      Hi Maya,

      Open this link to sign in. No password needed:
      https://app.example.com/auth/magic?token=0b5e7d13

      The link works once and expires in 15 minutes. Open it on the device where you want to be signed in.

      The request came from:
      Time: March 14, 2026, 5:30 AM EDT
      Location (approximate): Toronto, Canada
      IP address: 203.0.113.42

      If you did not ask for this link, ignore this email. Nobody can sign in without it.

      ------------------------------------------------------------
      You are receiving this email because someone asked for a sign-in link for the Acme account linked to this address.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('order-confirmation', () => {
    expect(textEmail('order-confirmation')).toMatchInlineSnapshot(`
      "Subject: Your Acme order A-10482 is confirmed

      Thanks for your order, Maya

      We have received your order and are getting it ready. We will email you again as soon as it ships.

      Order number: A-10482
      Placed: March 14, 2026, 11:42 AM EDT
      Payment: Visa ending in 4242
      Estimated delivery: March 19, 2026

      Order summary
      - Trail running shoes (Size 9, slate grey)
        1 × $98.00 = $98.00
      - Merino running socks (Pack of 3)
        2 × $18.00 = $36.00
      - Insulated bottle, 750 ml
        1 × $13.00 = $13.00

      Subtotal: $147.00
      Shipping: Free
      Tax: $11.76
      Total: $158.76

      Shipping to:
      Maya Okafor
      42 Harbour Road
      Portland, ME 04101
      United States

      Track your order: https://track.example.com/1Z999AA10123456784

      See the order in your account (you can change the delivery address until it ships): https://shop.example.com/account/orders/A-10482

      Something not right? Write to our support address below with your order number and we will sort it out.

      ------------------------------------------------------------
      You are receiving this email because you placed an order with Acme.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('shipping-notification', () => {
    expect(textEmail('shipping-notification')).toMatchInlineSnapshot(`
      "Subject: Your order A-10482 is on its way

      Your order is on its way

      Good news, Maya: order A-10482 has left our warehouse and is with UPS.

      Order number: A-10482
      Carrier: UPS
      Tracking number: 1Z999AA10123456784
      Shipped: March 16, 2026
      Estimated delivery: March 19, 2026

      Track your package: https://track.example.com/1Z999AA10123456784

      In this shipment:
      - Trail running shoes × 1
      - Merino running socks × 2
      - Insulated bottle, 750 ml × 1

      Shipping to:
      Maya Okafor
      42 Harbour Road
      Portland, ME 04101
      United States

      Tracking details can take a few hours to appear on the carrier's site. If your package has not arrived by the estimated date, write to our support address below with your order number.

      ------------------------------------------------------------
      You are receiving this email because you placed an order with Acme.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('invoice', () => {
    expect(textEmail('invoice')).toMatchInlineSnapshot(`
      "Subject: Invoice INV-2026-0311 from Acme

      Invoice INV-2026-0311

      Hi Maya Okafor, here is your invoice for €79.34, due on 31 March 2026.

      Invoice number: INV-2026-0311
      Issued: 1 March 2026
      Due: 31 March 2026

      - Team plan (March 2026, 5 seats)
        5 × €12.00 = €60.00
      - Extra storage (100 GB)
        1 × €4.50 = €4.50

      Subtotal: €64.50
      VAT (23%): €14.84
      Amount due: €79.34

      Billed to:
      Okafor Design Ltd
      7 Quay Street
      Galway H91 X2R4
      Ireland

      Payment terms: 30 days. Thank you for your business.

      Pay the invoice online: https://billing.example.com/pay/INV-2026-0311

      Download the invoice as a PDF: https://billing.example.com/invoices/INV-2026-0311.pdf

      Questions about this invoice? Write to our support address below and mention INV-2026-0311.

      ------------------------------------------------------------
      You are receiving this email because you have an account with Acme.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('subscription-renewal', () => {
    expect(textEmail('subscription-renewal')).toMatchInlineSnapshot(`
      "Subject: Your Pro plan renews on April 1, 2026

      Your subscription renews soon

      Hi Maya,

      This is a reminder that your Acme Pro plan renews on April 1, 2026. We will charge $240.00 to your Visa ending in 4242. You do not need to do anything to keep your subscription.

      Plan: Pro
      Renews on: April 1, 2026
      Amount: $240.00 per year
      Payment method: Visa ending in 4242

      Want to change plan, update your card or cancel? You can do it any time before the renewal date from your account:
      https://app.example.com/settings/billing

      ------------------------------------------------------------
      You are receiving this email because you have a Pro subscription with Acme. We send it before every renewal.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('payment-failed', () => {
    expect(textEmail('payment-failed')).toMatchInlineSnapshot(`
      "Subject: Action needed: your Acme payment didn't go through

      We couldn't process your payment

      Hi Maya,

      We tried to charge $240.00 to your Visa ending in 4242 for your Acme Pro plan, but the payment did not go through. The reason given was: the card has expired.

      Please update your payment details to keep your account active. It takes about a minute:
      https://app.example.com/settings/billing/payment-method

      We will try the payment again on April 4, 2026.

      If it still cannot be collected by April 15, 2026, your subscription will be paused; your data is kept and nothing is deleted.

      Already updated your details? Then you can ignore this email.

      ------------------------------------------------------------
      You are receiving this email because a payment for your Acme account failed.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('new-sign-in', () => {
    expect(textEmail('new-sign-in')).toMatchInlineSnapshot(`
      "Subject: New sign-in to your Acme account

      New sign-in to your account

      Hi Maya,

      Your Acme account was just signed in to from a device or location we have not seen before.

      Time: March 14, 2026, 5:07 PM EDT
      Device: Chrome on Windows
      Location (approximate): Porto, Portugal
      IP address: 198.51.100.23

      If this was you, there is nothing to do.

      If this wasn't you, secure your account now: change your password and sign out every other session. Someone else may know your password.
      https://app.example.com/settings/security

      Locations are estimated from the IP address and can be off by a few hundred kilometres, especially on mobile networks.

      ------------------------------------------------------------
      You are receiving this security alert because it concerns your Acme account. Alerts like this cannot be turned off.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });

  it('contact-form-notification', () => {
    expect(textEmail('contact-form-notification')).toMatchInlineSnapshot(`
      "Subject: New message from Daniel Reyes: Volume pricing

      New message from the contact form

      Daniel Reyes sent a message through the contact form. Reply to this email to answer them directly: the reply goes to daniel.reyes@example.net.

      Name: Daniel Reyes
      Email: daniel.reyes@example.net
      Phone: +1 555 0100
      Subject: Volume pricing
      Sent: March 14, 2026, 12:25 PM CDT
      Page: https://www.example.com/pricing

      Message:

      Hello,

      We are a team of about 40 and would like to know whether you offer volume pricing for the Team plan, and if annual billing changes the price.

      Thanks,
      Daniel

      ------------------------------------------------------------
      This notification was sent to you because the contact form on the Acme website delivers messages to this address.
      Questions? Write to support@example.com.
      Acme Inc., 100 Example Avenue, Springfield, ST 00000, United States
      https://www.example.com
      "
    `);
  });
});
