// What every page of the built-in console shares: the API call with the
// console's error conventions, messages, tables and escaping. No build step:
// these are plain ES modules served by the admin.
export const API = "/wxcomponent";

export function md5(text) {
  const bytes = new TextEncoder().encode(text);
  const n = bytes.length;
  const words = new Uint32Array((((n + 8) >>> 6) << 4) + 16);
  for (let i = 0; i < n; i++) words[i >> 2] |= bytes[i] << ((i % 4) * 8);
  words[n >> 2] |= 0x80 << ((n % 4) * 8);
  words[words.length - 2] = n * 8;
  const K = new Uint32Array(64);
  for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296);
  const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  for (let off = 0; off < words.length; off += 16) {
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
      else { f = c ^ (b | ~d); g = (7 * i) % 16; }
      const t = d; d = c; c = b;
      const sum = (a + f + K[i] + words[off + g]) >>> 0;
      const s = S[(i >> 4) * 4 + (i % 4)];
      b = (b + ((sum << s) | (sum >>> (32 - s)))) >>> 0;
      a = t;
    }
    a0 = (a0 + a) >>> 0; b0 = (b0 + b) >>> 0; c0 = (c0 + c) >>> 0; d0 = (d0 + d) >>> 0;
  }
  return [a0, b0, c0, d0]
    .map(x => [0, 1, 2, 3].map(i => ((x >>> (i * 8)) & 255).toString(16).padStart(2, "0")).join(""))
    .join("");
}

export const $ = id => document.getElementById(id);

/** The console's language: Chinese unless the operator switched to English
 * (kept in localStorage, so the choice survives a reload). */
export const lang = () => localStorage.getItem("lang") === "en" ? "en" : "zh";

/** Text in the console's language: every visible string is written once in
 * each language where it is used, so a page reads on its own. */
export const t = (zh, en) => lang() === "en" ? en : zh;
export const esc = v => String(v ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
export const time = s => s ? new Date(typeof s === "number" ? s * 1000 : s).toLocaleString() : "";

export function toast(text, bad) {
  const t = $("toast");
  t.textContent = text;
  t.style.background = bad ? "var(--bad)" : "var(--accent)";
  t.style.display = "block";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.style.display = "none"; }, 3500);
}

/** What the console shows of a token or ticket: its ends, never the whole
 * value (it is copied with a button instead), so a screenshot or a
 * passer-by does not carry a working credential away. */
export const mask = v => {
  const s = String(v ?? "");
  return s.length <= 12 ? "•".repeat(s.length) : `${s.slice(0, 6)}…${s.slice(-4)}`;
};

/** Copies `text` and says so: the Clipboard API where the browser allows it
 * (HTTPS or localhost), else a selected text area (plain-HTTP deployments). */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    if (!done) return toast(t("复制失败，请手动选择复制", "Could not copy: select the text and copy it"), true);
  }
  toast(t("已复制", "Copied"));
}

export async function api(method, path, body, query) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== "" && v != null) url.searchParams.set(k, v);
  const headers = {"Authorization": "Bearer " + (localStorage.getItem("token") || "")};
  const init = {method, headers};
  if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  let answer;
  try {
    answer = await (await fetch(url, init)).json();
  } catch (e) {
    toast(t("请求失败: ", "Request failed: ") + e, true);
    throw e;
  }
  if (answer.code === 1003 || answer.code === 1004 || answer.code === 1000) {
    if (path !== "/auth") { logout(); toast(t("登录已失效，请重新登录", "Session expired: please sign in again"), true); }
  }
  if (answer.code !== 0) {
    // As wxcomponent's console: for 1002 the operator reads `data` (WeChat's
    // errcode and errmsg, or the reason of a refusal).
    toast(answer.code === 1002 && answer.data ? String(answer.data) : answer.errorMsg, true);
    throw answer;
  }
  return answer.data;
}

export function logout() {
  localStorage.removeItem("token");
  $("app").classList.add("hidden");
  $("login").classList.remove("hidden");
}

export function table(columns, rows) {
  if (!rows || !rows.length) return `<p class="muted">${t("暂无数据", "Nothing yet")}</p>`;
  return '<div class="table-wrap"><table><tr>' + columns.map(c => "<th>" + esc(c[0]) + "</th>").join("") + "</tr>" +
    rows.map(r => "<tr>" + columns.map(c => "<td>" + c[1](r) + "</td>").join("") + "</tr>").join("") + "</table></div>";
}
