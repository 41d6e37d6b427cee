// Holder wallet page: vanilla JS, no framework, no CDN. The server only signs presentations;
// this page draws the QR code itself (vendored qrcode-generator, installed by bin/build-web)
// and asks for a fresh presentation every `refresh_seconds` (30–60 s, DESIGN §3).
"use strict";

(() => {
  const TEXT = {
    zh: {
      title: "电子居住证", logout: "退出", login: "登录", register: "注册", username: "用户名",
      password: "密码", display_name: "显示名称", no_account: "没有账号？注册",
      have_account: "已有账号？登录", my_permits: "我的居住证",
      no_permits: "还没有居住证。请扫描或粘贴签发机关给您的二维码。", show_to: "出示给",
      refresh_in: "二维码自动刷新", discloses: "将出示以下信息",
      not_disclosed: "其他信息（如身份证号）不会出示。",
      bound_hint: "银行、医院和政府机构需要对方的请求二维码：请扫描或粘贴。",
      scan_image: "上传二维码图片", check_request: "查看请求", asks_for: "请求以下信息：",
      beyond_profile: "注意：对方请求的信息超出此类机构的常规范围。",
      consent_send: "同意并发送", consent_qr: "同意并显示二维码", paper: "纸质居住证",
      paper_hint: "供没有智能手机时使用；仅房东、学校等接受纸质凭证的场合有效。",
      paper_request: "申请纸质凭证", paper_print: "打印", paper_pdf: "下载 PDF",
      add_permit: "添加居住证", pin: "验证码（短信或回执上）", receive: "领取",
      helpers: "帮办代办", helpers_hint: "允许家人或社区工作人员代您出示；可随时撤销，每次使用都有记录。",
      helper_username: "帮办人用户名", days: "有效天数", grant: "授权", revoke: "撤销",
      history: "出示记录", seconds: "秒后", sent: "已发送给对方。", refused: "对方未接受。",
      received: "已领取居住证。", renewed: "居住证已更新，旧凭证已删除。", expired_session: "登录已过期，请重新登录。",
      delegated: "代办：", status_valid: "有效", status_suspended: "已中止", status_revoked: "已注销",
      status_expired: "已过期", status_unknown: "状态未知", due: "需签注", paper_ready: "纸质凭证已就绪。",
      active: "有效", inactive: "已失效", uses: "次使用", via: "经", registered: "注册成功，请登录。",
      profile_landlord: "房东", profile_school: "学校", profile_bank: "银行", profile_hospital: "医院",
      profile_agency: "政府机构", profile_any: "仅验证",
      claim_permit_no: "居住证号码", claim_name: "姓名", claim_sex: "性别", claim_birth_date: "出生日期",
      claim_id_number: "公民身份号码", claim_hukou_address: "常住户口所在地",
      claim_residence_address: "居住地住址", claim_region_code: "行政区划代码", claim_district: "区县",
      claim_street: "街道地址", claim_permit_class: "居住证类别", claim_issuing_authority: "签发机关",
      claim_first_issued: "首次签发日期", claim_endorsed_until: "签注有效期至",
      claim_age_over_18: "年满18周岁", claim_age_over_60: "年满60周岁", yes: "是", no: "否",
      class_temporary: "临时", class_standard: "普通", class_talent: "人才", sex_M: "男", sex_F: "女",
    },
    en: {
      title: "Residence permit", logout: "Log out", login: "Log in", register: "Register",
      username: "Username", password: "Password", display_name: "Display name",
      no_account: "No account? Register", have_account: "Have an account? Log in",
      my_permits: "My permits", no_permits: "No permit yet. Scan or paste the QR code the issuer gave you.",
      show_to: "Show to", refresh_in: "QR refreshes in", discloses: "This discloses",
      not_disclosed: "Nothing else (e.g. your ID number) is shown.",
      bound_hint: "Banks, hospitals and agencies need their own request QR: scan or paste it.",
      scan_image: "Upload a QR image", check_request: "Check request", asks_for: "asks for:",
      beyond_profile: "Warning: this asks for more than such a verifier usually needs.",
      consent_send: "Consent and send", consent_qr: "Consent and show QR", paper: "Paper permit",
      paper_hint: "For use without a smartphone; accepted only where paper is (landlords, schools).",
      paper_request: "Request paper permit", paper_print: "Print", paper_pdf: "Download PDF",
      add_permit: "Add a permit", pin: "PIN (from the SMS or receipt)", receive: "Receive",
      helpers: "Helpers", helpers_hint: "Let family or a community worker present for you; revocable, every use is logged.",
      helper_username: "Helper's username", days: "Days", grant: "Grant", revoke: "Revoke",
      history: "Disclosure history", seconds: "s", sent: "Sent to the verifier.", refused: "The verifier did not accept it.",
      received: "Permit received.", renewed: "Permit updated; the old copies were removed.",
      expired_session: "Your session has expired; log in again.", delegated: "On behalf of: ",
      status_valid: "valid", status_suspended: "suspended", status_revoked: "revoked",
      status_expired: "expired", status_unknown: "status unknown", due: "due for endorsement",
      paper_ready: "Paper permit ready.", active: "active", inactive: "ended", uses: "uses", via: "via",
      registered: "Registered; please log in.",
      profile_landlord: "Landlord", profile_school: "School", profile_bank: "Bank", profile_hospital: "Hospital",
      profile_agency: "Agency", profile_any: "Check only",
      claim_permit_no: "Permit number", claim_name: "Name", claim_sex: "Sex", claim_birth_date: "Date of birth",
      claim_id_number: "Citizen ID number", claim_hukou_address: "Hukou address",
      claim_residence_address: "Residence address", claim_region_code: "Region code", claim_district: "District",
      claim_street: "Street", claim_permit_class: "Permit class", claim_issuing_authority: "Issuing authority",
      claim_first_issued: "First issued", claim_endorsed_until: "Endorsed until",
      claim_age_over_18: "Aged 18+", claim_age_over_60: "Aged 60+", yes: "yes", no: "no",
      class_temporary: "temporary", class_standard: "standard", class_talent: "talent", sex_M: "male", sex_F: "female",
    },
  };
  const SHOWN_PROFILES = ["landlord", "school", "bank", "hospital", "agency"];
  const $ = (id) => document.getElementById(id);
  const state = {
    lang: localStorage.getItem("lang") === "en" ? "en" : "zh",
    token: sessionStorage.getItem("token"),
    registering: false, permits: [], profiles: [], permitId: null, profile: null,
    timer: null, tick: null, request: null,
  };
  const t = (key) => TEXT[state.lang][key] ?? TEXT.zh[key] ?? key;

  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
    $("toggle-register").textContent = t(state.registering ? "have_account" : "no_account");
    $("login-submit").textContent = t(state.registering ? "register" : "login");
  }

  function say(text, isError = false) {
    const box = $("message");
    box.textContent = text;
    box.classList.toggle("error", isError);
    box.classList.toggle("hidden", !text);
  }

  async function api(path, { method = "GET", json, form, raw } = {}) {
    const headers = {};
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    let body;
    if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
    if (form !== undefined) body = form;
    const response = await fetch(path, { method, headers, body, cache: "no-store" });
    if (response.status === 401 && state.token) { logoutLocal(); say(t("expired_session"), true); throw new Error("401"); }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      say(detail, true);
      throw new Error(detail);
    }
    if (raw) return response;
    return response.status === 204 ? null : response.json();
  }

  function claimLabel(path) { return t(`claim_${path.split(".").pop()}`); }

  function formatValue(path, value) {
    if (path === "permit_class" || path === "sex") return t(`${path === "sex" ? "sex" : "class"}_${value}`);
    if (value === true) return t("yes");
    if (value === false) return t("no");
    if (value && typeof value === "object") return Object.values(value).join(" ");
    return String(value);
  }

  function fillClaims(list, claims, paths) {
    list.replaceChildren();
    for (const path of paths) {
      const [top, sub] = path.split(".");
      let value = claims[top];
      if (sub !== undefined && value) value = value[sub];
      if (value === undefined) continue;
      const dt = document.createElement("dt"); dt.textContent = claimLabel(path);
      const dd = document.createElement("dd"); dd.textContent = formatValue(path, value);
      list.append(dt, dd);
    }
  }

  // --- QR drawing (in the browser: the server only signs) -----------------------------------
  async function drawQr(canvas, text) {
    if (typeof window.qrcode === "function") {
      const qr = window.qrcode(0, "M");
      qr.addData(text, "Alphanumeric");
      qr.make();
      const count = qr.getModuleCount(), quiet = 4, total = count + 2 * quiet;
      const scale = Math.max(2, Math.floor(Math.min(420, document.body.clientWidth - 48) / total));
      canvas.width = canvas.height = total * scale;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = "#000";
      for (let r = 0; r < count; r += 1) {
        for (let c = 0; c < count; c += 1) {
          if (qr.isDark(r, c)) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
        }
      }
      canvas.dataset.rendered = "client";
      canvas.dataset.modules = String(count);
      return;
    }
    canvas.dataset.rendered = "missing-encoder";  // bin/build-web was not run
    say("QR encoder missing: run bin/build-web", true);
  }

  function stopRefresh() {
    clearTimeout(state.timer); clearInterval(state.tick); state.timer = state.tick = null;
  }

  async function showLive() {
    stopRefresh();
    const made = await api(`/v1/permits/${state.permitId}/presentations`, { method: "POST", json: { profile: state.profile } });
    await drawQr($("qr-canvas"), made.qr_text);
    $("qr-canvas").dataset.iat = String(made.iat);
    let left = made.refresh_seconds;
    $("countdown").textContent = `${left} ${t("seconds")}`;
    state.tick = setInterval(() => { left -= 1; $("countdown").textContent = `${Math.max(left, 0)} ${t("seconds")}`; }, 1000);
    state.timer = setTimeout(() => { state.timer = null; if (!document.hidden) showLive().catch(() => {}); }, made.refresh_seconds * 1000);
  }

  async function chooseProfile(name) {
    state.profile = name;
    document.querySelectorAll("#profiles button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.profile === name)));
    const profile = state.profiles.find((p) => p.name === name);
    stopRefresh();
    $("qr-panel").classList.toggle("hidden", profile.verifier_bound);
    $("request-panel").classList.toggle("hidden", !profile.verifier_bound);
    $("request-consent").classList.add("hidden");
    if (profile.verifier_bound) return;
    const preview = await api(`/v1/permits/${state.permitId}/presentations/${name}/preview`);
    fillClaims($("disclosed"), preview.claims, preview.paths);
    await showLive();
  }

  function renderProfiles() {
    const box = $("profiles");
    box.replaceChildren();
    for (const name of SHOWN_PROFILES) {
      if (!state.profiles.some((p) => p.name === name)) continue;
      const button = document.createElement("button");
      button.type = "button"; button.className = "secondary"; button.dataset.profile = name;
      button.id = `profile-${name}`;
      button.textContent = t(`profile_${name}`);
      button.addEventListener("click", () => chooseProfile(name).catch(() => {}));
      box.append(button);
    }
  }

  function selectPermit(id) {
    state.permitId = id; state.profile = null; stopRefresh();
    document.querySelectorAll("#permits li").forEach((li) => li.classList.toggle("selected", li.dataset.id === id));
    const permit = state.permits.find((p) => p.id === id);
    $("show-view").classList.remove("hidden");
    $("qr-panel").classList.add("hidden"); $("request-panel").classList.add("hidden");
    $("paper-view").classList.remove("hidden");
    $("paper-request").classList.toggle("hidden", Boolean(permit.delegated_by));
    $("paper-print").disabled = $("paper-pdf").disabled = !permit.paper_available;
    renderProfiles();
  }

  function renderPermits() {
    const list = $("permits");
    list.replaceChildren();
    $("no-permits").classList.toggle("hidden", state.permits.length > 0);
    for (const permit of state.permits) {
      const li = document.createElement("li");
      li.dataset.id = permit.id;
      const name = document.createElement("div"); name.className = "name"; name.textContent = permit.name || "";
      const badge = document.createElement("span"); badge.className = `badge ${permit.status}`;
      badge.textContent = t(`status_${permit.status}`); name.append(badge);
      if (permit.due_for_endorsement) { const due = document.createElement("span"); due.className = "badge due"; due.textContent = t("due"); name.append(due); }
      const line = document.createElement("div"); line.className = "hint";
      line.textContent = `${permit.permit_no || ""} · ${t("claim_endorsed_until")} ${permit.endorsed_until || ""}`;
      li.append(name, line);
      if (permit.delegated_by) { const d = document.createElement("div"); d.className = "hint"; d.textContent = t("delegated") + permit.delegated_by; li.append(d); }
      li.addEventListener("click", () => selectPermit(permit.id));
      list.append(li);
    }
  }

  async function loadAll() {
    state.profiles = await api("/v1/profiles");
    state.permits = await api("/v1/permits");
    renderPermits();
    if (state.permits.length) selectPermit(state.permitId && state.permits.some((p) => p.id === state.permitId) ? state.permitId : state.permits[0].id);
    await Promise.all([loadHistory(), loadGrants()]);
  }

  async function loadHistory() {
    const rows = await api("/v1/history?limit=50");
    $("history").replaceChildren(...rows.map((row) => {
      const li = document.createElement("li");
      const who = row.via_helper ? ` (${t("via")} ${row.actor})` : "";
      li.textContent = `${new Date(row.at).toLocaleString()} · ${t(`profile_${row.profile}`)} · ${row.channel}${who}`;
      return li;
    }));
  }

  async function loadGrants() {
    const grants = await api("/v1/grants");
    $("grants").replaceChildren(...grants.map((grant) => {
      const li = document.createElement("li");
      li.textContent = `${grant.helper} · ${grant.active ? t("active") : t("inactive")} · ${new Date(grant.expires_at).toLocaleDateString()} `;
      if (grant.active) {
        const revoke = document.createElement("button");
        revoke.type = "button"; revoke.className = "link"; revoke.textContent = t("revoke");
        revoke.addEventListener("click", async () => { await api(`/v1/grants/${grant.id}`, { method: "DELETE" }); await loadGrants(); });
        li.append(revoke);
      }
      return li;
    }));
  }

  function showWallet(loggedIn) {
    $("login-view").classList.toggle("hidden", loggedIn);
    $("wallet-view").classList.toggle("hidden", !loggedIn);
    $("logout").classList.toggle("hidden", !loggedIn);
  }

  function logoutLocal() {
    stopRefresh(); state.token = null; sessionStorage.removeItem("token"); showWallet(false);
  }

  async function submitLogin(event) {
    event.preventDefault();
    const username = $("username").value, password = $("password").value;
    try {
      if (state.registering) {
        await api("/v1/accounts", { method: "POST", json: { username, password, display_name: $("display_name").value || username } });
        toggleRegister(); say(t("registered"));
        return;
      }
      const form = new URLSearchParams({ username, password });
      const answer = await api("/v1/auth/login", { method: "POST", form });
      state.token = answer.access_token; sessionStorage.setItem("token", state.token);
      $("password").value = ""; say("");
      showWallet(true); await loadAll();
    } catch (_) { /* message shown */ }
  }

  function toggleRegister() {
    state.registering = !state.registering;
    document.querySelectorAll(".register-only").forEach((el) => el.classList.toggle("hidden", !state.registering));
    applyLanguage();
  }

  async function readImage(input) {
    const form = new FormData(); form.append("image", input.files[0]);
    return api("/v1/scan", { method: "POST", form });
  }

  async function redeemOffer() {
    const pin = $("offer-pin").value.trim() || null;
    const result = await api("/v1/offers", { method: "POST", json: { offer: $("offer-text").value.trim(), tx_code: pin } });
    say(t(result.renewed ? "renewed" : "received"));
    $("offer-text").value = ""; $("offer-pin").value = "";
    state.permitId = result.permit_id; await loadAll();
  }

  async function previewRequest() {
    const request = $("request-text").value.trim();
    const preview = await api("/v1/requests/preview", { method: "POST", json: { request, permit_id: state.permitId } });
    state.request = request;
    $("request-who").textContent = preview.verifier_origin;
    fillClaims($("request-claims"), preview.claims || {}, preview.paths);
    $("request-warning").classList.toggle("hidden", preview.beyond_profile.length === 0);
    $("request-consent").classList.remove("hidden");
  }

  async function answerRequest(delivery) {
    const answer = await api("/v1/requests/respond", { method: "POST", json: { request: state.request, permit_id: state.permitId, consent: true, delivery } });
    if (delivery === "qr") { $("qr-panel").classList.remove("hidden"); await drawQr($("qr-canvas"), answer.qr_text); $("countdown").textContent = ""; }
    else say(answer.delivered ? t("sent") : t("refused"), !answer.delivered);
    await loadHistory();
  }

  async function printPaper() {
    const sheet = await api(`/v1/permits/${state.permitId}/paper`);
    const box = $("print-sheet"); box.replaceChildren();
    const title = document.createElement("h1"); title.textContent = "居住证（纸质）Residence permit (paper)";
    const dl = document.createElement("dl"); dl.className = "claims";
    for (const field of sheet.fields) {
      const dt = document.createElement("dt"); dt.textContent = `${field.label_zh} ${field.label_en}`;
      const dd = document.createElement("dd"); dd.textContent = field.value; dl.append(dt, dd);
    }
    const codes = document.createElement("div"); codes.className = "sheet-codes";
    for (const qr of sheet.qrs) {
      const figure = document.createElement("figure"); const canvas = document.createElement("canvas");
      const caption = document.createElement("figcaption"); caption.textContent = t(`profile_${qr.profile}`);
      figure.append(canvas, caption); codes.append(figure); await drawQr(canvas, qr.qr_text);
    }
    box.append(title, dl, codes); window.print();
  }

  async function downloadPdf() {
    const response = await api(`/v1/permits/${state.permitId}/paper.pdf`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a"); link.href = url; link.download = "residence-permit.pdf";
    document.body.append(link); link.click(); link.remove(); setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function wire() {
    const guard = (fn) => () => fn().catch(() => {});
    $("lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("lang", state.lang); applyLanguage(); if (state.token) { renderPermits(); renderProfiles(); } });
    $("login-form").addEventListener("submit", submitLogin);
    $("toggle-register").addEventListener("click", toggleRegister);
    $("logout").addEventListener("click", async () => { try { await api("/v1/auth/logout", { method: "POST" }); } finally { logoutLocal(); } });
    $("offer-redeem").addEventListener("click", guard(redeemOffer));
    $("offer-image").addEventListener("change", guard(async () => { const scan = await readImage($("offer-image")); $("offer-text").value = scan.text; }));
    $("request-image").addEventListener("change", guard(async () => { const scan = await readImage($("request-image")); $("request-text").value = scan.text; await previewRequest(); }));
    $("request-preview").addEventListener("click", guard(previewRequest));
    $("request-send").addEventListener("click", guard(() => answerRequest("direct_post")));
    $("request-qr").addEventListener("click", guard(() => answerRequest("qr")));
    $("paper-request").addEventListener("click", guard(async () => { await api(`/v1/permits/${state.permitId}/paper`, { method: "POST" }); say(t("paper_ready")); await loadAll(); }));
    $("paper-print").addEventListener("click", guard(printPaper));
    $("paper-pdf").addEventListener("click", guard(downloadPdf));
    $("grant-form").addEventListener("submit", (event) => { event.preventDefault(); guard(async () => { await api("/v1/grants", { method: "POST", json: { helper_username: $("grant-helper").value, days: Number($("grant-days").value), permit_id: state.permitId } }); $("grant-helper").value = ""; await loadGrants(); })(); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden && state.profile && !$("qr-panel").classList.contains("hidden") && state.timer === null) showLive().catch(() => {}); });
  }

  wire();
  applyLanguage();
  if (state.token) { showWallet(true); loadAll().catch(() => {}); } else { showWallet(false); }
})();
