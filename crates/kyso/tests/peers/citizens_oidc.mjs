// Headless Chromium walks a citizen through enrolment with VNeID, against the real
// `oidc-provider` (crates/kyso-oidc/tests/peers/provider.mjs) on loopback:
//   kyso /dang-ky → "Đăng ký qua VNeID" → the provider's login form (CCCD, any password) →
//   its consent page → back at kyso's /oidc/callback: provider and PIN → the certificate;
//   then /tai-khoan shows it, registered through VNeID.
// Every step is screenshotted (files 2x-*.png).
//
// usage: node citizens_oidc.mjs KYSO_BASE_URL OIDC_ISSUER SCREENSHOT_DIR
// Prints {"serial": …} as its last line.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [base, issuer, shots] = process.argv.slice(2);
const CCCD = '046190000001';
const NAME = 'Nguyễn Thị An';
const PIN = '246813';

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name), fullPage: true });
}

async function expectText(page, selector, text) {
  const got = (await page.locator(selector).first().textContent()) || '';
  if (!got.includes(text)) throw new Error(`${selector}: expected ${JSON.stringify(text)}, got ${JSON.stringify(got)}`);
}

/// The page must be at `prefix` (an origin and path).
function expectAt(page, prefix, what) {
  if (!page.url().startsWith(prefix)) throw new Error(`${what}: expected ${prefix}…, at ${page.url()}`);
}

const browser = await chromium.launch({
  executablePath: process.env.KYSO_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const result = {};
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'vi-VN' });
  context.setDefaultTimeout(8000);
  // Loopback only: the provider's development pages @import a web font from the Internet.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  const page = await context.newPage();

  await page.goto(`${base}/dang-ky`);
  const vneid = page.locator('a[href="/oidc/start?purpose=enrol"]');
  if ((await vneid.textContent()).trim() !== 'Đăng ký qua VNeID') {
    throw new Error(`the OpenID button reads ${JSON.stringify(await vneid.textContent())}`);
  }
  await shot(page, '20-dang-ky-vneid.png');
  await vneid.click();

  // The provider's own login page (its development interaction).
  await page.waitForSelector('input[name=login]');
  expectAt(page, `${issuer}/`, 'login page');
  await page.fill('input[name=login]', CCCD);
  await page.fill('input[name=password]', 'bat-ky-mat-khau');
  await shot(page, '21-vneid-dang-nhap.png');
  await page.click('button[type=submit]');

  // Its consent page: kyso asks for the vneid scope (cccd, identity_level).
  await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
  expectAt(page, `${issuer}/`, 'consent page');
  const consent = (await page.textContent('body')) || '';
  if (!consent.includes('vneid')) throw new Error(`the consent page does not list the vneid scope: ${consent}`);
  await shot(page, '22-vneid-dong-y.png');
  await page.click('button[type=submit]');

  // Back at kyso: the identity was verified; provider and PIN.
  await page.waitForSelector('form[action="/dang-ky/oidc"]');
  expectAt(page, `${base}/oidc/callback`, 'callback');
  await expectText(page, '.msg.ok', 'Đã xác minh danh tính');
  await expectText(page, 'main', NAME);
  await expectText(page, 'main', CCCD);
  await page.selectOption('select[name=provider]', 'vnpt-demo');
  await page.fill('input[name=pin]', PIN);
  await page.fill('input[name=pin2]', PIN);
  await shot(page, '23-vneid-nhap-pin.png');
  await page.click('form[action="/dang-ky/oidc"] button[type=submit]');

  await page.waitForSelector('#serial');
  result.serial = (await page.textContent('#serial')).trim();
  await expectText(page, '.msg.ok', 'Đăng ký thành công');
  await expectText(page, '#enrolled', NAME);
  await expectText(page, '#enrolled', 'VNPT-CA (demo)');
  await shot(page, '24-vneid-thanh-cong.png');

  // The account: the session started with the enrolment.
  await page.goto(`${base}/tai-khoan`);
  await page.waitForSelector('#certificate');
  await expectText(page, '#serial', result.serial);
  await expectText(page, '#status', 'Đang hoạt động');
  await expectText(page, '#provider', 'VNPT-CA (demo)');
  const channel = await page.locator('#certificate dt:has-text("Hình thức đăng ký") + dd').textContent();
  if (channel.trim() !== 'VNeID') throw new Error(`the account shows the channel ${JSON.stringify(channel)}`);
  await shot(page, '25-tai-khoan-vneid.png');
  await context.close();

  console.log(JSON.stringify(result));
} catch (e) {
  console.error('VNeID enrolment flow failed:', e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
