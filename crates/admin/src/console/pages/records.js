// 推送记录: both kinds of stored pushes (授权事件 to the component URL, 消息与事件
// to the biz URL), filtered by time, account and type, paged, each body
// pretty-printed in a block that opens on demand and copies.
import { $, esc, time, api, table, t, copy } from "../lib.js";

const PAGE = 20;

// A Date as a datetime-local input's value (local time, minutes).
const localInput = d => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
// A datetime-local value as Unix seconds; `end` takes the whole minute.
const unix = (value, end) => value ? Math.floor(new Date(value).getTime() / 1000) + (end ? 59 : 0) : "";

// XML with one element per line, indented by depth; an element holding only
// text (or CDATA) stays on one line. Anything unreadable is shown as received.
function prettyXml(text) {
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (doc.getElementsByTagName("parsererror").length) return text;
  const leaf = n => n.nodeType === Node.CDATA_SECTION_NODE ? `<![CDATA[${n.data}]]>` : esc(n.data);
  const open = node => node.nodeName + [...node.attributes].map(a => ` ${a.name}="${esc(a.value)}"`).join("");
  const render = (node, depth) => {
    const pad = "  ".repeat(depth);
    const kids = [...node.childNodes].filter(c => !(c.nodeType === Node.TEXT_NODE && !c.data.trim()));
    if (!kids.length) return `${pad}<${open(node)}/>`;
    if (kids.every(c => c.nodeType === Node.TEXT_NODE || c.nodeType === Node.CDATA_SECTION_NODE)) {
      return `${pad}<${open(node)}>${kids.map(leaf).join("")}</${node.nodeName}>`;
    }
    return [`${pad}<${open(node)}>`, ...kids.map(c => c.nodeType === Node.ELEMENT_NODE ? render(c, depth + 1) : pad + "  " + leaf(c)), `${pad}</${node.nodeName}>`].join("\n");
  };
  return render(doc.documentElement, 0);
}

// JSON indented, XML indented, anything else as received.
function pretty(body) {
  const text = String(body ?? "").trim();
  if (text.startsWith("{") || text.startsWith("[")) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
  }
  return text.startsWith("<") ? prettyXml(text) : text;
}

// The authorizer a component push names (its table has no appid column).
const namedAppid = body => (/AuthorizerAppid(?:><!\[CDATA\[|>|"\s*:\s*")([\w-]+)/.exec(body || "") || [])[1] || "";

export default async function records(el) {
  const now = new Date();
  el.innerHTML = `<section><h2>${t("推送记录", "Push records")}</h2>
    <div class="row"><select id="r-kind"><option value="component">${t("授权事件", "Authorization events")} (wx-component-records)</option><option value="biz">${t("消息与事件", "Messages and events")} (wx-biz-records)</option></select>
    <label>${t("从", "From")} <input id="r-from" type="datetime-local"></label><label>${t("到", "To")} <input id="r-to" type="datetime-local"></label></div>
    <div class="row"><input id="r-appid" placeholder="${t("appid（可选）", "appid (optional)")}" size="22">
    <input id="r-info" placeholder="infoType" size="18"><input id="r-msgtype" class="hidden" placeholder="msgType" size="10"><input id="r-event" class="hidden" placeholder="event" size="14">
    <button class="primary" id="r-go">${t("查询", "Search")}</button></div>
    <div id="r-list" class="muted wide">${t("加载中…", "Loading…")}</div>
    <div class="row pager"><button class="plain" id="r-prev">${t("上一页", "Previous")}</button><span id="r-page"></span><button class="plain" id="r-next">${t("下一页", "Next")}</button></div></section>`;
  $("r-from").value = localInput(new Date(now.getTime() - 7 * 86400 * 1000));
  $("r-to").value = localInput(now);
  // Until the operator picks an end, the window ends now (at every search).
  let toPicked = false;
  $("r-to").oninput = () => { toPicked = true; };
  let page = 0;
  let bodies = [];
  const biz = () => $("r-kind").value === "biz";
  const kindFields = () => {
    $("r-info").classList.toggle("hidden", biz());
    $("r-msgtype").classList.toggle("hidden", !biz());
    $("r-event").classList.toggle("hidden", !biz());
  };
  const body = (r, i) => {
    const text = pretty(r.postBody);
    bodies[i] = text;
    const first = String(r.postBody ?? "").replace(/\s+/g, " ").slice(0, 90);
    return `<details class="body" id="r-body-${i}"><summary class="mono">${esc(first)}</summary>
      <pre class="mono">${esc(text)}</pre><button class="plain" id="r-copy-${i}" data-copy="${i}">${t("复制", "Copy")}</button></details>`;
  };
  const go = async () => {
    if (!toPicked) $("r-to").value = localInput(new Date());
    const from = unix($("r-from").value, false), to = unix($("r-to").value, true);
    const query = {startTime: from, endTime: to, offset: page * PAGE, limit: PAGE, appid: $("r-appid").value.trim()};
    if (biz()) Object.assign(query, {msgType: $("r-msgtype").value.trim(), event: $("r-event").value.trim()});
    else query.infoType = $("r-info").value.trim();
    const d = await api("GET", biz() ? "/admin/wx-biz-records" : "/admin/wx-component-records", undefined, query);
    bodies = [];
    const received = [t("接收时间", "Received"), r => esc(time(r.receiveTime))];
    $("r-list").innerHTML = table(biz() ? [
      received, ["appid", r => `<span class="mono">${esc(r.appid)}</span>`], ["msgType", r => esc(r.msgType)],
      ["event", r => esc(r.event)], [t("内容", "Body"), r => body(r, bodies.length)],
    ] : [
      received, ["infoType", r => esc(r.infoType)], ["appid", r => `<span class="mono">${esc(namedAppid(r.postBody))}</span>`],
      [t("内容", "Body"), r => body(r, bodies.length)],
    ], d.records);
    el.querySelectorAll("[data-copy]").forEach(b => b.onclick = () => copy(bodies[Number(b.dataset.copy)]));
    const pages = Math.max(1, Math.ceil(d.total / PAGE));
    $("r-page").textContent = t(`第 ${page + 1} / ${pages} 页，共 ${d.total} 条`, `Page ${page + 1} of ${pages} · ${d.total} in all`);
    $("r-prev").disabled = page === 0;
    $("r-next").disabled = (page + 1) * PAGE >= d.total;
  };
  const run = () => go().catch(() => { $("r-list").textContent = ""; });
  $("r-kind").onchange = () => { kindFields(); page = 0; run(); };
  $("r-go").onclick = () => { page = 0; run(); };
  $("r-prev").onclick = () => { page--; run(); };
  $("r-next").onclick = () => { page++; run(); };
  kindFields();
  run();
}
