// Headless Chromium walks through kyso's citizen pages like people would:
//  1. a citizen registers online on a phone-sized screen: CCCD, name, date of birth →
//     the code from the SMS outbox (read with `kyso sms outbox --json`) → provider, PIN →
//     the certificate; then the account page, in Vietnamese and in English;
//  2. a field officer on a 360×740 phone logs in and enrols a citizen at home with the
//     CCCD card's QR text and the PIN the citizen types.
// Every step is screenshotted; no page may scroll sideways at 360 px.
//
// usage: KYSO_BIN=… KYSO_DATA_DIR=… node citizens_browser.mjs BASE_URL SCREENSHOT_DIR
// Prints {"citizen_serial": …, "officer_serial": …} as its last line.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const [base, shots] = process.argv.slice(2);
const PIN = '482913';
const LAN = { cccd: '046190012345', name: 'Nguyễn Thị Lan', birth: '1990-03-15', phone: '0912345678' };
const NAM_QR = '046092007777||Phạm Văn Nam|05011992|Nam|12 Lê Lợi, Phường Thuận Hóa, Huế|10032021';

function kyso(...args) {
  return execFileSync(process.env.KYSO_BIN, ['--data-dir', process.env.KYSO_DATA_DIR, ...args], {
    encoding: 'utf8',
  });
}

/// The newest code sent to `phone`, through the operator's CLI (the SMS gateway's outbox).
function smsCode(phone) {
  const messages = JSON.parse(kyso('sms', 'outbox', '--phone', phone, '--json'));
  if (messages.length === 0) throw new Error(`no SMS to ${phone}`);
  const code = messages[0].body.match(/\b\d{6}\b/);
  if (!code) throw new Error(`no code in ${JSON.stringify(messages[0].body)}`);
  return code[0];
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name), fullPage: true });
}

/// Nothing may be wider than the screen (a 360 px phone must not scroll sideways).
async function fitsTheScreen(page, what) {
  const [width, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (width > inner) throw new Error(`${what}: the page is ${width}px wide on a ${inner}px screen`);
}

async function expectText(page, selector, text) {
  const got = (await page.locator(selector).first().textContent()) || '';
  if (!got.includes(text)) throw new Error(`${selector}: expected ${JSON.stringify(text)}, got ${JSON.stringify(got)}`);
}

const browser = await chromium.launch({
  executablePath: process.env.KYSO_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const result = {};
try {
  // 1. The citizen, online.
  const citizen = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'vi-VN' });
  let page = await citizen.newPage();
  await page.goto(`${base}/dang-ky`);
  await fitsTheScreen(page, '/dang-ky');
  await page.fill('input[name=cccd]', LAN.cccd);
  await page.fill('input[name=full_name]', LAN.name);
  await page.fill('input[name=birth_date]', LAN.birth);
  await shot(page, '01-dang-ky.png');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Đã gửi mã xác thực');
  await expectText(page, '.msg.ok', '*******678');
  await page.fill('input[name=code]', smsCode(LAN.phone));
  await page.selectOption('select[name=provider]', 'vnpt-demo');
  await page.fill('input[name=pin]', PIN);
  await page.fill('input[name=pin2]', PIN);
  await fitsTheScreen(page, 'code and PIN');
  await shot(page, '02-nhap-ma.png');
  await page.click('form[action="/dang-ky/xac-nhan"] button[type=submit]');
  await page.waitForSelector('#serial');
  result.citizen_serial = (await page.textContent('#serial')).trim();
  await expectText(page, '#enrolled', 'VNPT-CA (demo)');
  await fitsTheScreen(page, 'registered');
  await shot(page, '03-dang-ky-thanh-cong.png');

  await page.click('text=Vào tài khoản của tôi');
  await page.waitForSelector('#status');
  await expectText(page, '#status', 'Đang hoạt động');
  await expectText(page, '#serial', result.citizen_serial);
  await expectText(page, '#name', LAN.name);
  await fitsTheScreen(page, '/tai-khoan');
  await shot(page, '04-tai-khoan.png');
  await page.click('header >> text=English');
  await page.waitForSelector('h1:has-text("My account")');
  await expectText(page, '#status', 'Valid');
  await shot(page, '05-account-english.png');
  await citizen.close();

  // 2. The field officer, on a small phone.
  const officer = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  page = await officer.newPage();
  await page.goto(`${base}/can-bo`);
  await fitsTheScreen(page, '/can-bo login');
  await page.fill('input[name=id]', 'can-bo.thuanhoa');
  await page.fill('input[name=password]', 'mat-khau-thuan-hoa');
  await shot(page, '10-can-bo-dang-nhap.png');
  await page.click('button[type=submit]');
  await page.waitForSelector('#door-to-door');
  await expectText(page, '#who', 'Hồ Thị Thu');
  await fitsTheScreen(page, '/can-bo');
  await shot(page, '11-can-bo.png');
  await page.fill('textarea[name=card_qr]', NAM_QR);
  await page.selectOption('select[name=provider]', 'viettel-demo');
  // The citizen types the PIN on the officer's phone.
  await page.fill('#door-to-door input[name=pin]', PIN);
  await page.fill('#door-to-door input[name=pin2]', PIN);
  await shot(page, '12-can-bo-nhap-the.png');
  await page.click('form[action="/can-bo/dang-ky"] button[type=submit]');
  await page.waitForSelector('#serial');
  result.officer_serial = (await page.textContent('#serial')).trim();
  await expectText(page, '#enrolled', 'Phạm Văn Nam');
  await expectText(page, '#enrolled', 'Viettel-CA (demo)');
  await fitsTheScreen(page, 'enrolled at home');
  await shot(page, '13-can-bo-thanh-cong.png');
  await officer.close();

  console.log(JSON.stringify(result));
} catch (e) {
  console.error('citizen pages flow failed:', e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
