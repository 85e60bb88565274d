// Screenshots of the running demo for the README (docs/screenshots/*.png).
//
// Needs: the demo running (`make run`, or EMS_DEMO_PORT=8169 python3 scripts/run_demo.py),
// Debian's Chromium and the npm package playwright-core (no browser download):
//
//   apt-get update && apt-get install -y chromium pngquant
//   cd "$(mktemp -d)" && npm i playwright-core
//   NODE_PATH="$PWD/node_modules" node /path/to/repo/scripts/demo_screenshots.js
//
// Environment: EMS_DEMO_URL (default http://127.0.0.1:8069), EMS_DEMO_DB (ems_demo),
// CHROMIUM (default /usr/bin/chromium), EMS_SCREENSHOT_DIR (default docs/screenshots
// of this repository). Logs in as admin/admin in a 1400x900 window and writes
// interface.png, campaign.png, campaign_mailjet.png and runs.png; shrinks them with
// pngquant when it is installed. Talks to nothing but the demo's URL.

"use strict";

const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = (process.env.EMS_DEMO_URL || "http://127.0.0.1:8069").replace(/\/$/, "");
const DB = process.env.EMS_DEMO_DB || "ems_demo";
const OUT = process.env.EMS_SCREENSHOT_DIR
  || path.join(__dirname, "..", "docs", "screenshots");
const VIEWPORT = { width: 1400, height: 900 };

async function rpc(page, model, method, args, kwargs = {}) {
  const response = await page.request.post(`${BASE}/web/dataset/call_kw`, {
    data: { jsonrpc: "2.0", method: "call", params: { model, method, args, kwargs } },
  });
  const body = await response.json();
  if (body.error) {
    throw new Error(`${model}.${method}: ${JSON.stringify(body.error.data || body.error)}`);
  }
  return body.result;
}

async function login(page) {
  await page.goto(`${BASE}/web/login?db=${encodeURIComponent(DB)}`);
  await page.fill("input[name=login]", "admin");
  await page.fill("input[name=password]", "admin");
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith("/web/login"), { timeout: 60000 }),
    page.click("button[type=submit]"),
  ]);
}

async function settle(page) {
  // (no "networkidle": Odoo's bus keeps a connection open)
  await page.waitForSelector(".o_action_manager .o_view_controller", { timeout: 60000 });
  // No spinner, no blocking dialog.
  await page.waitForFunction(() => !document.querySelector(".o_loading_indicator, .o_blockUI"));
  if (await page.locator(".o_error_dialog, .o_dialog .modal-title:has-text('Error')").count()) {
    throw new Error(`an error dialog is open on ${page.url()}`);
  }
  await page.mouse.move(0, VIEWPORT.height - 1); // no hover highlight in the shot
  await page.waitForTimeout(400);
}

async function shot(page, name) {
  const file = path.join(OUT, name);
  await page.screenshot({ path: file });
  try {
    execFileSync("pngquant", ["--force", "--skip-if-larger", "--quality=70-95",
      "--output", file, file]);
  } catch (error) {
    if (error.code !== "ENOENT" && error.status !== 98 && error.status !== 99) throw error;
  }
  console.log(`${file}: ${Math.round(fs.statSync(file).size / 1024)} KB`);
}

async function openTab(page, label) {
  await page.click(`.o_notebook .nav-link:text-is("${label}")`);
  await page.waitForTimeout(300);
}

async function showOptionalColumn(page, label) {
  const toggler = page.locator(".o_field_one2many .o_optional_columns_dropdown_toggle").first();
  await toggler.click();
  const item = page.locator(`.o-dropdown--menu .dropdown-item:has-text("${label}") input`);
  if (!(await item.isChecked())) {
    await item.check();
  }
  await page.keyboard.press("Escape");
  await page.waitForTimeout(300);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage"],
  });
  try {
    const context = await browser.newContext({
      viewport: VIEWPORT, locale: "en-US", timezoneId: "Europe/Berlin",
    });
    const page = await context.newPage();
    await login(page);

    const [iface] = await rpc(page, "ems.interface", "search_read",
      [[["name", "=", "Mailjet (local sandbox)"]]], { fields: ["id"], limit: 1 });
    const [campaign] = await rpc(page, "utm.campaign", "search_read",
      [[["title", "=", "Monthly customer newsletter"]]], { fields: ["id"], limit: 1 });
    if (!iface || !campaign) {
      throw new Error("the demo's interface or newsletter campaign is missing; run `make run`");
    }

    await page.goto(`${BASE}/odoo/action-ems_mailjet.action_ems_interface/${iface.id}`);
    await settle(page);
    await openTab(page, "Runs");
    await shot(page, "interface.png");

    await page.goto(`${BASE}/odoo/action-ems_mailjet.action_ems_campaign/${campaign.id}`);
    await settle(page);
    await openTab(page, "Participants");
    await showOptionalColumn(page, "Source");
    await shot(page, "campaign.png");

    await openTab(page, "Mailjet");
    await shot(page, "campaign_mailjet.png");

    await page.goto(`${BASE}/odoo/action-ems_mailjet.action_ems_mailjet_sync_run`);
    await settle(page);
    await shot(page, "runs.png");
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
