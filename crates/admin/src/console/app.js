// The built-in console's entry: login, the tab bar, and which page each tab
// shows. Each page is its own module under pages/.
import { $, toast, api, md5, logout, t, lang } from "./lib.js";
import overview from "./pages/overview.js";
import tokens from "./pages/tokens.js";
import authorizers from "./pages/authorizers.js";
import miniprograms from "./pages/miniprograms.js";
import campaigns from "./pages/campaigns.js";
import templates from "./pages/templates.js";
import records from "./pages/records.js";
import rules from "./pages/rules.js";
import proxy from "./pages/proxy.js";
import links from "./pages/links.js";
import settings from "./pages/settings.js";

const tabs = [
  ["overview", "概览", overview],
  ["tokens", "令牌", tokens],
  ["authorizers", "授权帐号", authorizers],
  ["miniprograms", "小程序", miniprograms],
  ["campaigns", "批量发版", campaigns],
  ["templates", "模板库", templates],
  ["records", "推送记录", records],
  ["rules", "转发规则", rules],
  ["proxy", "代理路由", proxy],
  ["links", "授权链接", links],
  ["settings", "设置", settings],
];
const views = Object.fromEntries(tabs.map(([name, , view]) => [name, view]));
// The tabs' names in English, by tab.
const english = {
  overview: "Overview", tokens: "Tokens", authorizers: "Accounts", miniprograms: "Mini programs",
  campaigns: "Release campaigns", templates: "Templates", records: "Push records", rules: "Forward rules",
  proxy: "Proxy routes", links: "Auth links", settings: "Settings",
};

// The page shell's own text: Chinese in index.html, English in data-en
// attributes; the switch keeps the choice and reloads in that language.
function translateShell() {
  document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-en]").forEach(e => {
    e.dataset.zh ??= e.textContent;
    e.textContent = t(e.dataset.zh, e.dataset.en);
  });
  document.querySelectorAll("[data-en-placeholder]").forEach(e => {
    e.dataset.zhPlaceholder ??= e.placeholder;
    e.placeholder = t(e.dataset.zhPlaceholder, e.dataset.enPlaceholder);
  });
  document.querySelectorAll(".lang-switch").forEach(b => {
    b.textContent = t("English", "中文");
    b.onclick = () => { localStorage.setItem("lang", lang() === "en" ? "zh" : "en"); location.reload(); };
  });
}

async function login() {
  const username = $("username").value.trim(), password = $("password").value;
  if (!username || !password) return toast(t("请输入帐号和密码", "Enter the account and the password"), true);
  try {
    const data = await api("PUT", "/auth", {username, password: md5(password)});
    localStorage.setItem("token", data.jwt);
    localStorage.setItem("username", username);
    localStorage.setItem("expiresTime", String(Date.now() + 12 * 3600 * 1000));
    $("password").value = "";
    start();
  } catch (_) { /* toast shown */ }
}

function show(name) {
  document.querySelectorAll("#tabs button").forEach(b => b.classList.toggle("on", b.dataset.tab === name));
  location.hash = name;
  views[name]($("view"));
}

function start() {
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("who").textContent = localStorage.getItem("username") || "";
  $("tabs").innerHTML = tabs.map(([k, v]) => `<button data-tab="${k}">${t(v, english[k] ?? v)}</button>`).join("");
  document.querySelectorAll("#tabs button").forEach(b => b.onclick = () => show(b.dataset.tab));
  const wanted = location.hash.slice(1);
  show(views[wanted] ? wanted : "overview");
  // Keep the session alive as wxcomponent's console does.
  clearInterval(start.refresh);
  start.refresh = setInterval(() => {
    api("GET", "/admin/refresh-auth").then(d => localStorage.setItem("token", d.jwt)).catch(() => {});
  }, 3 * 3600 * 1000);
}

translateShell();
$("login-btn").onclick = login;
$("password").onkeydown = e => { if (e.key === "Enter") login(); };
$("logout").onclick = logout;
if (localStorage.getItem("token")) start(); else logout();
