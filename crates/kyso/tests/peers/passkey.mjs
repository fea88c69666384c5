// Headless Chromium with a virtual authenticator (CTAP2, internal, user verification on)
// drives kyso's phone page: log in with CCCD + PIN, register a passkey, approve the
// waiting request with it.
//
// usage: node passkey.mjs BASE_URL CCCD PIN TRANSACTION_ID
import { chromium } from 'playwright-core';

const [base, cccd, pin, transaction] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.KYSO_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await page.goto(`${base}/phone`);
  await page.fill('input[name=cccd]', cccd);
  await page.fill('input[name=pin]', pin);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Đăng ký passkey');
  await page.click('text=Đăng ký passkey');
  await page.waitForSelector('text=Đã đăng ký passkey.', { timeout: 10000 });
  await page.reload();
  const request = page.locator(`section[data-transaction="${transaction}"]`);
  await request.locator('text=Xác nhận bằng passkey').click();
  await page.waitForSelector('text=Đã ký thành công.', { timeout: 10000 });
  console.log('approved with passkey');
} catch (e) {
  console.error('passkey flow failed:', e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
