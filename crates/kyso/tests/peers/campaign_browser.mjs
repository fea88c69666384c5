// Headless Chromium works a commune's campaign:
//  1. the province administrator opens the coverage dashboard (desktop, then a phone): the
//     bars per commune, the trend and the map are there, and nothing scrolls sideways;
//  2. the commune officer of Thuận Hóa lists the unregistered households and assigns two of
//     them to the team member;
//  3. the team member, on a 360 px phone, sees exactly those two for today and records a
//     visit to each in two taps (open the household, tap the outcome);
//  4. an adult of one of those households enrols at the door (the CLI, as the officer's
//     scanner would), and the officer's list of unregistered households shrinks by one.
// Every step is screenshotted.
//
// usage: KYSO_BIN=… KYSO_DATA_DIR=… KYSO_ENROL_QR=… KYSO_PIN_FILE=… node campaign_browser.mjs BASE SHOTS
// Prints {"unregistered_before": n, "unregistered_after": m} as its last line.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const [base, shots] = process.argv.slice(2);
const PASSWORD = 'mat-khau-chien-dich';
const COMMUNE = '19789';
const ASSIGNED = ['46-19789-000002', '46-19789-000004'];

function kyso(...args) {
  return execFileSync(process.env.KYSO_BIN, ['--data-dir', process.env.KYSO_DATA_DIR, ...args], { encoding: 'utf8' });
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `campaign-${name}.png`), fullPage: true });
}

async function fitsTheScreen(page, what) {
  const [width, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (width > inner) throw new Error(`${what}: the page is ${width}px wide on a ${inner}px screen`);
}

async function login(page, id) {
  await page.goto(`${base}/can-bo`);
  await page.fill('input[name=id]', id);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForLoadState('load');
}

/// The number of households the officer's current list shows ("…: N hộ").
async function listedHouseholds(page) {
  const text = await page.locator('#households p').first().textContent();
  const m = text.match(/:\s*([\d.]+)\s*hộ/);
  if (!m) throw new Error(`no household count in ${JSON.stringify(text)}`);
  return Number(m[1].replace(/\./g, ''));
}

const browser = await chromium.launch({ executablePath: process.env.KYSO_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  // 1. The province's dashboard.
  const admin = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  const desk = await admin.newPage();
  await login(desk, 'tinh.hue');
  await desk.goto(`${base}/chien-dich`);
  for (const chart of ['#bars svg', '#trend svg', '#map svg']) await desk.waitForSelector(chart);
  const bars = await desk.locator('#bars svg').innerHTML();
  if (!bars.includes('Phường Thuận Hóa')) throw new Error('the bars do not name Phường Thuận Hóa');
  if (!/Mục tiêu/.test(bars)) throw new Error('the bars have no target line');
  await fitsTheScreen(desk, 'the dashboard (desktop)');
  await shot(desk, '01-tinh-bang-dieu-khien');
  await desk.setViewportSize({ width: 360, height: 740 });
  await desk.reload();
  await desk.waitForSelector('#bars svg');
  await fitsTheScreen(desk, 'the dashboard (phone)');
  await shot(desk, '02-tinh-dien-thoai');
  await admin.close();

  // 2. The commune officer assigns two unregistered households to the team member.
  const office = await browser.newContext({ viewport: { width: 1024, height: 800 }, locale: 'vi-VN' });
  const officer = await office.newPage();
  await login(officer, 'can-bo.thuanhoa');
  await officer.goto(`${base}/chien-dich/xa/${COMMUNE}`);
  await officer.waitForSelector('#households');
  const before = await listedHouseholds(officer);
  await fitsTheScreen(officer, 'the commune page');
  await shot(officer, '03-xa-danh-sach-chua-dang-ky');
  for (const id of ASSIGNED) await officer.check(`input[name=h][value="${id}"]`);
  await officer.selectOption('select#member', 'doi.an');
  await Promise.all([officer.waitForNavigation(), officer.click('#households button[type=submit]')]);
  const flash = (await officer.locator('.msg').first().textContent()) || '';
  if (!flash.includes('Đã phân công 2 hộ')) throw new Error(`assignment: ${JSON.stringify(flash)}`);
  await shot(officer, '04-xa-da-phan-cong');

  // 3. The team member's day, on a phone: two taps per visit.
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'vi-VN' });
  const team = await phone.newPage();
  await login(team, 'doi.an');
  await team.goto(`${base}/chien-dich/hom-nay`);
  await team.waitForSelector('#today');
  const cards = await team.locator('details.ho').evaluateAll((ds) => ds.map((d) => d.id));
  const expected = ASSIGNED.map((id) => `ho-${id}`);
  if (JSON.stringify(cards.sort()) !== JSON.stringify(expected.sort())) {
    throw new Error(`today's list: ${JSON.stringify(cards)}, expected ${JSON.stringify(expected)}`);
  }
  await fitsTheScreen(team, 'the team member\'s day');
  await shot(team, '05-doi-hom-nay');
  for (const [id, label] of [[ASSIGNED[1], 'Vắng nhà'], [ASSIGNED[0], 'Đã đăng ký']]) {
    await team.tap(`#ho-${id} > summary`);
    await shot(team, `06-doi-mo-ho-${id.slice(-1)}`);
    await Promise.all([
      team.waitForNavigation(),
      team.tap(`#ho-${id} button[value]:has-text("${label}")`),
    ]);
    const note = (await team.locator('.msg').first().textContent()) || '';
    if (!note.includes(`Đã ghi: ${label}`)) throw new Error(`visit to ${id}: ${JSON.stringify(note)}`);
    await fitsTheScreen(team, 'after a visit');
    await shot(team, `07-doi-da-ghi-${id.slice(-1)}`);
  }
  await phone.close();

  // 4. Household 2's adult enrols at the door; the officer's list shrinks.
  kyso('enrol', '--cccd', '046175002222', '--provider', 'vnpt-demo', '--channel', 'door-to-door',
    '--officer', 'can-bo.thuanhoa', '--card-qr', process.env.KYSO_ENROL_QR, '--pin-file', process.env.KYSO_PIN_FILE);
  await officer.goto(`${base}/chien-dich/xa/${COMMUNE}`);
  await officer.waitForSelector('#households');
  const after = await listedHouseholds(officer);
  if (await officer.locator(`#ho-${ASSIGNED[0]}`).count()) throw new Error('the enrolled household is still listed');
  await shot(officer, '08-xa-danh-sach-sau-dang-ky');
  await office.close();
  console.log(JSON.stringify({ unregistered_before: before, unregistered_after: after }));
} finally {
  await browser.close();
}
