// Headless Chromium walks through an online public service from the citizen's form to the
// signed result:
//  1. the citizen logs in on a phone-sized screen with the code from the SMS outbox, files a
//     birth registration (form + PDF attachment) and approves its signature on the phone
//     page with the PIN; a second dossier is approved with a passkey (virtual authenticator);
//  2. the commune officer opens the first dossier, sees "Chữ ký hợp lệ" and approves it with
//     a fee of 8.000 đồng;
//  3. the citizen opens the fee page (VietQR); the payment platform's signed callback
//     arrives, and again (a replay), which pays nothing twice;
//  4. the citizen downloads the signed application and the signed result, and the public
//     verification page reports each file's signature valid, in Vietnamese.
// Every step is screenshotted; no page may scroll sideways.
//
// usage: KYSO_BIN=… KYSO_DATA_DIR=… KYSO_PAYMENT_KEY=… node dossiers_browser.mjs BASE SHOTS DOWNLOADS
// Prints {"receipt": …, "second_receipt": …} as its last line.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, shots, downloads] = process.argv.slice(2);
const PIN = '482913';
const TUYET = { cccd: '046190012345', name: 'Nguyễn Thị Ánh Tuyết', birth: '1990-03-15', phone: '0912345678' };
const MINIMAL_PDF = join(process.cwd(), 'crates/kyso/tests/peers/minimal.pdf');

function kyso(...args) {
  return execFileSync(process.env.KYSO_BIN, ['--data-dir', process.env.KYSO_DATA_DIR, ...args], { encoding: 'utf8' });
}

function smsCode(phone) {
  const messages = JSON.parse(kyso('sms', 'outbox', '--phone', phone, '--json'));
  const code = messages.map((m) => m.body.match(/\b\d{6}\b/)).find(Boolean);
  if (!code) throw new Error(`no code in the SMS to ${phone}`);
  return code[0];
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `dossier-${name}.png`), fullPage: true });
}

async function fitsTheScreen(page, what) {
  const [width, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (width > inner) throw new Error(`${what}: the page is ${width}px wide on a ${inner}px screen`);
}

async function expectText(page, selector, text) {
  const got = (await page.locator(selector).first().textContent()) || '';
  if (!got.includes(text)) throw new Error(`${selector}: expected ${JSON.stringify(text)}, got ${JSON.stringify(got)}`);
}

const BIRTH = {
  declarant_full_name: TUYET.name,
  declarant_cccd: TUYET.cccd,
  declarant_phone: TUYET.phone,
  declarant_address: '12 Lê Lợi, phường Thuận Hóa, thành phố Huế',
  child_full_name: 'Lê Minh Khôi',
  child_birth_date: '2026-11-02',
  child_ethnicity: 'Kinh',
  child_nationality: 'Việt Nam',
  child_birth_place: 'Bệnh viện Trung ương Huế',
  mother_full_name: TUYET.name,
  mother_ethnicity: 'Kinh',
  mother_nationality: 'Việt Nam',
  mother_address: '12 Lê Lợi, phường Thuận Hóa, thành phố Huế',
};
const BIRTH_CHOICES = { declarant_relationship: 'me', child_sex: 'nam', parents_married: 'co' };

/// Files a birth registration; returns the dossier page's URL once it waits for approval.
async function fileBirthRegistration(page, step) {
  await page.goto(`${base}/tai-khoan/ho-so/moi/1.001193`);
  for (const [name, value] of Object.entries(BIRTH)) await page.fill(`[name="${name}"]`, value);
  for (const [name, value] of Object.entries(BIRTH_CHOICES)) await page.selectOption(`select[name="${name}"]`, value);
  await page.setInputFiles('input[name="tep.medical_birth_certificate"]', MINIMAL_PDF);
  await fitsTheScreen(page, 'the birth registration form');
  await shot(page, `${step}-to-khai`);
  await page.click('form[enctype="multipart/form-data"] button[type=submit]');
  await page.waitForSelector('#short-code');
  await shot(page, `${step}-cho-ky`);
  return { url: page.url(), code: (await page.textContent('#short-code')).trim() };
}

/// The dossier page, reloaded until it shows the receipt as submitted.
async function submitted(page, url) {
  await page.goto(url);
  await page.waitForSelector('#receipt');
  await expectText(page, '#state', 'Mới nộp');
  return (await page.textContent('#receipt')).trim();
}

const browser = await chromium.launch({
  executablePath: process.env.KYSO_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const result = {};
try {
  // 1. The citizen logs in and files a birth registration.
  const citizen = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'vi-VN', acceptDownloads: true,
  });
  const page = await citizen.newPage();
  await page.goto(`${base}/tai-khoan/dang-nhap`);
  await page.fill('input[name=cccd]', TUYET.cccd);
  await page.fill('input[name=full_name]', TUYET.name);
  await page.fill('input[name=birth_date]', TUYET.birth);
  await page.click('form[action="/tai-khoan/dang-nhap"] button[type=submit]');
  await page.fill('input[name=code]', smsCode(TUYET.phone));
  await shot(page, '01-dang-nhap');
  await page.click('form[action="/tai-khoan/dang-nhap/ma"] button[type=submit]');
  await page.waitForSelector('#status');
  await page.goto(`${base}/tai-khoan/ho-so`);
  await fitsTheScreen(page, '/tai-khoan/ho-so');
  await shot(page, '02-ho-so-cua-toi');
  const first = await fileBirthRegistration(page, '03');

  // The phone page: the request shows the same short code; approve with the PIN.
  const phoneContext = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const phone = await phoneContext.newPage();
  const cdp = await phoneContext.newCDPSession(phone);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await phone.goto(`${base}/phone`);
  await phone.fill('input[name=cccd]', TUYET.cccd);
  await phone.fill('input[name=pin]', PIN);
  await phone.click('button[type=submit]');
  const request = phone.locator('section.req').filter({ hasText: first.code });
  await request.waitFor();
  await shot(phone, '04-dien-thoai-yeu-cau');
  await request.locator('input[name=pin]').fill(PIN);
  await request.locator('button:has-text("Đồng ý ký")').click();
  await phone.waitForSelector('text=Đã ký thành công.');
  await shot(phone, '05-dien-thoai-da-ky');
  result.receipt = await submitted(page, first.url);
  await fitsTheScreen(page, 'the submitted dossier');
  await shot(page, '06-da-nop');

  // A second dossier, approved with a passkey.
  const second = await fileBirthRegistration(page, '07');
  await phone.goto(`${base}/phone`);
  await phone.click('text=Đăng ký passkey');
  await phone.waitForFunction(() => (document.getElementById('passkey-status')?.textContent || '').length > 0, null, { timeout: 10000 });
  const registered = await phone.textContent('#passkey-status');
  if (!registered.includes('Đã đăng ký passkey.')) throw new Error(`passkey registration: ${registered}`);
  await phone.reload();
  const request2 = phone.locator('section.req').filter({ hasText: second.code });
  await request2.locator('text=Xác nhận bằng passkey').click();
  await phone.waitForSelector('text=Đã ký thành công.', { timeout: 10000 });
  await shot(phone, '08-dien-thoai-passkey');
  result.second_receipt = await submitted(page, second.url);
  await phoneContext.close();

  // 2. The officer, on a small phone: signature valid, approve with the fee.
  const officer = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const desk = await officer.newPage();
  await desk.goto(`${base}/can-bo`);
  await desk.fill('input[name=id]', 'can-bo.thuanhoa');
  await desk.fill('input[name=password]', 'mat-khau-thuan-hoa');
  await desk.click('button[type=submit]');
  await desk.waitForSelector('#door-to-door');
  await desk.goto(`${base}/can-bo/ho-so`);
  await fitsTheScreen(desk, '/can-bo/ho-so');
  await shot(desk, '10-can-bo-hang-doi');
  await desk.click(`#queue a:has-text("${result.receipt}")`);
  await desk.waitForSelector('#signature-check');
  await expectText(desk, '#signature-check', 'Chữ ký hợp lệ');
  await expectText(desk, '#signer', TUYET.name);
  await fitsTheScreen(desk, 'the officer\'s dossier');
  await shot(desk, '11-can-bo-chu-ky-hop-le');
  await desk.fill('#approve-fee', '8000');
  await desk.click('#approve button[type=submit]');
  await desk.waitForSelector('#state');
  await expectText(desk, '#state', 'Chờ nộp phí');
  await shot(desk, '12-can-bo-da-duyet');
  await officer.close();

  // 3. The fee page, and the payment platform's callback (twice).
  await page.goto(first.url);
  await page.click('#fee a');
  await page.waitForSelector('#payload');
  await expectText(page, '#amount', '8.000');
  await expectText(page, '#bill', result.receipt);
  const payload = (await page.textContent('#payload')).trim();
  if (!payload.includes(result.receipt) || !payload.startsWith('000201010212')) throw new Error(`payload ${payload}`);
  await fitsTheScreen(page, 'the fee page');
  await shot(page, '13-phi-vietqr');
  const body = JSON.stringify({ reference: 'FT26334123456', bill: result.receipt, amount: 8000, paid_at: Math.floor(Date.now() / 1000) });
  const signature = createHmac('sha256', Buffer.from(process.env.KYSO_PAYMENT_KEY, 'hex')).update(body).digest('hex');
  const callback = () => fetch(`${base}/api/payments/vietqr`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-kyso-signature': signature }, body,
  }).then(async (r) => ({ status: r.status, json: await r.json() }));
  const paid = await callback();
  if (paid.status !== 200 || paid.json.status !== 'recorded') throw new Error(`callback: ${JSON.stringify(paid)}`);
  const replay = await callback();
  if (replay.status !== 200 || replay.json.status !== 'duplicate') throw new Error(`replay: ${JSON.stringify(replay)}`);

  // 4. The result, downloaded, and both signed files on the public verification page.
  await page.goto(first.url);
  await expectText(page, '#state', 'Đã trả kết quả');
  await shot(page, '14-da-tra-ket-qua');
  const save = async (role, name) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#files a[href$="/tep/${role}"]`)]);
    const path = join(downloads, name);
    await download.saveAs(path);
    return path;
  };
  const resultPdf = await save('result', 'result.pdf');
  const applicationPdf = await save('application.signed', 'application-signed.pdf');
  for (const [file, step] of [[applicationPdf, '15'], [resultPdf, '16']]) {
    await page.goto(`${base}/verify`);
    await page.setInputFiles('input[name=file]', file);
    await page.click('form[action^="/verify"] button[type=submit]');
    await page.waitForSelector('text=đều hợp lệ');
    await fitsTheScreen(page, '/verify report');
    await shot(page, `${step}-kiem-tra`);
  }
  writeFileSync(join(downloads, 'done'), 'ok');
  await citizen.close();
  console.log(JSON.stringify(result));
} catch (e) {
  console.error('dossier flow failed:', e.stack || e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
