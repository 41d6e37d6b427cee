// Verifier page: vanilla JS, no framework, no CDN. Scans QR codes with the camera
// (getUserMedia + the vendored jsQR decoder, installed by bin/build-web-verifier), or sends a
// photo to POST /v1/verify/image; shows one large, clear result. Bank, hospital and agency
// accounts show their own request QR (POST /v1/requests) and poll for the wallet's answer.
"use strict";

(() => {
  const { TEXT, REASONS } = window.VERIFIER_I18N;
  const ADDRESS_ORDER = ["region_code", "district", "street"];
  const $ = (id) => document.getElementById(id);
  const state = {
    lang: localStorage.getItem("verifier-lang") === "en" ? "en" : "zh",
    key: localStorage.getItem("verifier-key") || "",
    account: null, openProfiles: [], profile: null, issuers: {},
    result: null, resultAt: null, stream: null, scanning: false,
    request: null, poll: null,
  };
  const t = (name) => (TEXT[state.lang][name] ?? name);
  const reasonText = (code) => (REASONS[state.lang][code] ?? code);

  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = state.lang === "zh" ? "居住证核验 · Residence permit verifier" : "Residence permit verifier · 居住证核验";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
    if (state.profile && !state.account) $("forget-key").textContent = t("use_key");
    renderAccount();
    if (state.result) renderResult(state.result);
    if (state.request) renderRequestStatus();
  }

  function message(text, error = false) {
    const el = $("message");
    el.textContent = text;
    el.classList.toggle("error", error);
    el.classList.toggle("hidden", !text);
  }

  async function api(path, options = {}) {
    const headers = new Headers(options.headers || {});
    if (state.key) headers.set("Authorization", `Bearer ${state.key}`);
    const response = await fetch(path, { ...options, headers });
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    return { status: response.status, body };
  }

  function problem(reply) {
    const code = reply.body && reply.body.code;
    message(code ? reasonText(code) : `HTTP ${reply.status}`, true);
  }

  // --- account ---------------------------------------------------------------------------

  async function loadAccount() {
    const reply = await api("/v1/account");
    if (reply.status !== 200) {
      state.key = "";
      localStorage.removeItem("verifier-key");
      message(t("bad_key"), true);
      return showKeyView(true);
    }
    state.account = reply.body.account;
    state.openProfiles = reply.body.open_profiles;
    const issuers = await api("/v1/issuers");
    if (issuers.status === 200) {
      for (const issuer of issuers.body.issuers) state.issuers[issuer.iss] = issuer.name;
    }
    if (!state.account && !state.openProfiles.length) return showKeyView(false);
    state.profile = state.account ? state.account.profile : state.openProfiles[0];
    $("key-view").classList.add("hidden");
    $("main-view").classList.remove("hidden");
    $("forget-key").classList.remove("hidden");
    $("forget-key").textContent = t(state.account ? "forget_key" : "use_key");
    renderAccount();
  }

  function showKeyView(keepMessage) {
    if (!keepMessage) message("");
    $("main-view").classList.add("hidden");
    $("forget-key").classList.add("hidden");
    $("key-view").classList.remove("hidden");
    $("key-anonymous").classList.add("hidden");
    api("/v1/account").then((reply) => {
      if (reply.status === 200 && reply.body.open_profiles.length && !state.key) {
        $("key-anonymous").classList.remove("hidden");
      }
    });
  }

  function renderAccount() {
    if (!state.profile) return;
    const profileName = t(`profile_${state.profile.name}`);
    $("account-line").textContent = state.account ? `${state.account.name} · ${profileName}` : profileName;
    const bound = state.profile.verifier_bound;
    $("request-card").classList.toggle("hidden", !state.account);
    $("scan-card").querySelector("h2").textContent = t("scan_title");
    $("profile-choice").classList.toggle("hidden", Boolean(state.account) || state.openProfiles.length < 2);
    const select = $("profile-select");
    select.replaceChildren(...state.openProfiles.map((p) => {
      const option = document.createElement("option");
      option.value = p.name;
      option.textContent = t(`profile_${p.name}`);
      option.selected = p.name === state.profile.name;
      return option;
    }));
    // A bank's desk checks QR codes only as answers to its own open request, which it shows
    // first; other desks scan first.
    $("scan-card").classList.toggle("hidden", bound && !state.request);
    const order = bound ? ["request-card", "result", "scan-card"] : ["scan-card", "result", "request-card"];
    $("main-view").append(...order.map((id) => $(id)));
  }

  // --- verification ----------------------------------------------------------------------

  async function verifyText(text) {
    if (state.request) return answerRequest(text);
    if (state.profile.verifier_bound) return message(t("bound_only"), true);
    message(t("checking"));
    const body = { presentation: text };
    if (!state.account) body.profile = state.profile.name;
    const reply = await api("/v1/verify", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (reply.status !== 200) return problem(reply);
    message("");
    showResult(reply.body);
  }

  async function verifyPhoto(file) {
    if (state.request) {
      const text = await decodeFile(file);
      return text ? answerRequest(text) : message(t("no_qr_in_photo"), true);
    }
    if (state.profile.verifier_bound) return message(t("bound_only"), true);
    message(t("checking"));
    const form = new FormData();
    form.append("image", file);
    if (!state.account) form.append("profile", state.profile.name);
    const reply = await api("/v1/verify/image", { method: "POST", body: form });
    if (reply.status !== 200) return problem(reply);
    message("");
    showResult(reply.body);
  }

  function showResult(result) {
    state.result = result;
    state.resultAt = new Date();
    renderResult(result);
    $("result").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function verdict(result) {
    if (result.valid) return "valid";
    if (result.reason === "revoked" || result.reason === "suspended") return result.reason;
    if (["unknown_issuer", "unknown_key", "bad_signature"].includes(result.reason)) return "untrusted";
    return "invalid";
  }

  function renderResult(result) {
    const kind = verdict(result);
    const banner = $("result-banner");
    banner.className = `banner ${kind}`;
    banner.dataset.verdict = kind;
    $("result-title").textContent = `${kind === "valid" ? "✓" : "✗"} ${t(kind)}`;
    $("result-reason").textContent = result.valid ? "" : reasonText(result.reason);
    $("result-issuer").textContent = result.issuer
      ? `${t("issuer")}: ${state.issuers[result.issuer] || result.issuer}` : "";
    const claims = $("claims");
    claims.replaceChildren();
    for (const [name, value] of Object.entries(result.claims || {})) {
      if (name === "residence_address" && value && typeof value === "object") {
        for (const part of ADDRESS_ORDER) {
          if (part in value) addClaim(claims, `${t("claim_residence_address")} · ${t(`claim_${part}`)}`, value[part]);
        }
      } else {
        addClaim(claims, t(`claim_${name}`), formatValue(name, value));
      }
    }
    const when = state.resultAt ? state.resultAt.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB") : "";
    $("result-meta").textContent = `${t("profile")}: ${t(`profile_${result.profile}`)} · ${t("checked_at")}: ${when}`;
    $("result").classList.remove("hidden");
  }

  function addClaim(list, label, value) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    list.append(dt, dd);
  }

  function formatValue(name, value) {
    if (typeof value === "boolean") return t(value ? "yes" : "no");
    if (name === "sex") return t(`sex_${value}`);
    if (name === "permit_class") return t(`class_${value}`);
    return value;
  }

  // --- camera and photo decoding (jsQR) ----------------------------------------------------

  async function startCamera() {
    if (typeof jsQR !== "function" || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return message(t("camera_unavailable"), true);
    }
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (_) {
      return message(t("camera_unavailable"), true);
    }
    const video = $("camera");
    video.srcObject = state.stream;
    video.classList.remove("hidden");
    $("scan-start").classList.add("hidden");
    $("scan-stop").classList.remove("hidden");
    await video.play();
    state.scanning = true;
    message(t("camera_hint"));
    requestAnimationFrame(scanFrame);
  }

  function stopCamera() {
    state.scanning = false;
    if (state.stream) for (const track of state.stream.getTracks()) track.stop();
    state.stream = null;
    $("camera").classList.add("hidden");
    $("scan-start").classList.remove("hidden");
    $("scan-stop").classList.add("hidden");
  }

  const frame = document.createElement("canvas");
  function scanFrame() {
    if (!state.scanning) return;
    const video = $("camera");
    if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
      const text = decodePixels(video, video.videoWidth, video.videoHeight);
      if (text) {
        stopCamera();
        verifyText(text);
        return;
      }
    }
    requestAnimationFrame(scanFrame);
  }

  function decodePixels(source, width, height) {
    const scale = Math.min(1, 1600 / Math.max(width, height));
    frame.width = Math.round(width * scale);
    frame.height = Math.round(height * scale);
    const context = frame.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, frame.width, frame.height);
    const pixels = context.getImageData(0, 0, frame.width, frame.height);
    const found = jsQR(pixels.data, frame.width, frame.height, { inversionAttempts: "attemptBoth" });
    return found && found.data ? found.data : null;
  }

  async function decodeFile(file) {
    if (typeof jsQR !== "function") return null;
    const bitmap = await createImageBitmap(file);
    try { return decodePixels(bitmap, bitmap.width, bitmap.height); } finally { bitmap.close(); }
  }

  // --- verifier-bound requests -------------------------------------------------------------

  async function newRequest() {
    cancelRequest();
    const reply = await api("/v1/requests", { method: "POST" });
    if (reply.status !== 201) return problem(reply);
    state.request = { ...reply.body, status: "pending" };
    $("request-qr").src = reply.body.qr_png;
    $("request-qr").classList.remove("hidden");
    $("request-panel").classList.remove("hidden");
    renderAccount();
    renderRequestStatus();
    state.poll = setInterval(pollRequest, 1000);
  }

  function cancelRequest() {
    if (state.poll) clearInterval(state.poll);
    state.poll = null;
    state.request = null;
    $("request-panel").classList.add("hidden");
    renderAccount();
  }

  async function pollRequest() {
    const request = state.request;
    if (!request) return;
    const reply = await api(request.status_url);
    if (reply.status !== 200 || state.request !== request) return;
    const view = reply.body;
    const changed = view.status !== request.status || view.attempts !== request.attempts;
    request.status = view.status;
    request.attempts = view.attempts;
    if (view.result && changed) showResult(view.result);
    renderRequestStatus();
    if (view.status === "valid" || view.status === "expired") {
      clearInterval(state.poll);
      state.poll = null;
      $("request-qr").classList.add("hidden");  // spent: nobody else should scan it
    }
  }

  function renderRequestStatus() {
    const request = state.request;
    const el = $("request-status");
    if (!request) return;
    el.dataset.state = request.status;
    if (request.status === "pending") {
      const left = Math.max(0, request.expires_at - Math.floor(Date.now() / 1000));
      el.textContent = `${t("waiting")} (${t("remaining")} ${left} ${t("seconds")})`;
    } else {
      el.textContent = t(`request_${request.status}`);
    }
  }

  async function answerRequest(text) {
    const request = state.request;
    message(t("checking"));
    const form = new URLSearchParams({ vp_token: JSON.stringify({ permit: [text] }), state: request.state });
    await fetch(new URL(request.response_uri).pathname, {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form,
    });
    message("");
    await pollRequest();
  }

  // --- wiring ------------------------------------------------------------------------------

  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("verifier-lang", state.lang);
    applyLanguage();
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("api-key").value.trim();
    localStorage.setItem("verifier-key", state.key);
    $("api-key").value = "";
    loadAccount();
  });
  $("key-anonymous").addEventListener("click", () => { state.key = ""; loadAccount(); });
  $("forget-key").addEventListener("click", () => {
    stopCamera();
    cancelRequest();
    state.key = "";
    state.account = null;
    state.profile = null;
    state.result = null;
    localStorage.removeItem("verifier-key");
    $("result").classList.add("hidden");
    showKeyView(false);
  });
  $("profile-select").addEventListener("change", (event) => {
    state.profile = state.openProfiles.find((p) => p.name === event.target.value) || state.profile;
    renderAccount();
  });
  $("scan-start").addEventListener("click", startCamera);
  $("scan-stop").addEventListener("click", () => { stopCamera(); message(""); });
  $("upload").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (file) verifyPhoto(file);
  });
  $("text-verify").addEventListener("click", () => {
    const text = $("text-input").value.trim();
    if (text) verifyText(text);
  });
  $("text-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {  // USB scanners end with Enter
      event.preventDefault();
      $("text-verify").click();
    }
  });
  $("request-new").addEventListener("click", newRequest);
  $("request-cancel").addEventListener("click", cancelRequest);
  setInterval(() => { if (state.request && state.request.status === "pending") renderRequestStatus(); }, 1000);

  applyLanguage();
  loadAccount();  // with the stored key, or anonymously when the deployment has open profiles
})();
