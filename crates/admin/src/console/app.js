// The built-in console's entry: login, the tab bar, and which page each tab
// shows. Each page is its own module under pages/.
import { $, toast, api, md5, logout } from "./lib.js";
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

async function login() {
  const username = $("username").value.trim(), password = $("password").value;
  if (!username || !password) return toast("请输入帐号和密码", true);
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
  $("tabs").innerHTML = tabs.map(([k, v]) => `<button data-tab="${k}">${v}</button>`).join("");
  document.querySelectorAll("#tabs button").forEach(b => b.onclick = () => show(b.dataset.tab));
  const wanted = location.hash.slice(1);
  show(views[wanted] ? wanted : "tokens");
  // Keep the session alive as wxcomponent's console does.
  clearInterval(start.refresh);
  start.refresh = setInterval(() => {
    api("GET", "/admin/refresh-auth").then(d => localStorage.setItem("token", d.jwt)).catch(() => {});
  }, 3 * 3600 * 1000);
}

$("login-btn").onclick = login;
$("password").onkeydown = e => { if (e.key === "Enter") login(); };
$("logout").onclick = logout;
if (localStorage.getItem("token")) start(); else logout();
