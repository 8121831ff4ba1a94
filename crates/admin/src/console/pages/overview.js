// 概览: the platform at a glance, from GET /admin/overview: appid, ticket
// age, component token expiry, authorized accounts, pushes (with a 24-hour
// chart), refusals, each service's health as the gateways see it, and what
// needs the operator's attention.
import { $, api, esc, table, time, t } from "../lib.js";

/** WeChat pushes a ticket every 10 minutes: older than this means pushes
 * do not arrive (the server answers `ticket.stale` with the same rule). */
const TICKET_WARN_SECS = 15 * 60;

/** A duration in seconds, coarse: "45 秒", "12 分钟", "3 小时 5 分钟", "2 天". */
function duration(secs) {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return t(`${s} 秒`, `${s} s`);
  if (s < 3600) return t(`${Math.floor(s / 60)} 分钟`, `${Math.floor(s / 60)} min`);
  if (s < 86400) {
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return t(`${h} 小时 ${m} 分钟`, `${h} h ${m} min`);
  }
  const d = Math.floor(s / 86400);
  return t(`${d} 天`, d === 1 ? "1 day" : `${d} days`);
}

/** The 24 hourly counts as SVG bars, oldest on the left; each bar's title
 * says its hour and count. */
function chart(hourly, start) {
  const width = 480, height = 90, gap = 4, bar = width / hourly.length - gap;
  const peak = Math.max(0, ...hourly), max = Math.max(1, peak);
  const bars = hourly.map((n, i) => {
    const h = Math.round((n / max) * (height - 4));
    const from = new Date((start + i * 3600) * 1000);
    const label = from.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    return `<rect class="ov-bar" x="${i * (bar + gap)}" y="${height - h}" width="${bar}" height="${h}"><title>${esc(label)} · ${n}</title></rect>`;
  }).join("");
  return `<svg class="ov-chart" viewBox="0 0 ${width} ${height + 1}" preserveAspectRatio="none" role="img"
      aria-label="${esc(t("最近 24 小时每小时推送数", "Pushes per hour over the last 24 hours"))}">
      <line class="ov-axis" x1="0" y1="${height + 0.5}" x2="${width}" y2="${height + 0.5}"></line>${bars}</svg>
    <div class="ov-chart-legend muted"><span>${esc(time(start))}</span><span>${t("每小时最高", "Busiest hour")} ${peak}</span><span>${t("现在", "Now")}</span></div>`;
}

/** One gateway's report: a table of its services. */
function gateway(g) {
  const services = table(
    [
      [t("服务", "Service"), s => esc(s.name)],
      [t("健康副本", "Healthy replicas"), s => `<span class="${s.total > 0 && s.healthy === s.total ? "ok" : "bad"}">${s.healthy} / ${s.total}</span>`],
    ],
    g.services,
  );
  return `<div class="ov-gateway"><div class="muted">${t("网关", "Gateway")} <span class="mono">${esc(g.gateway)}</span> · ${t(`${duration(g.ageSecs)}前上报`, `reported ${duration(g.ageSecs)} ago`)}</div>${services}</div>`;
}

/** The accounts an attention item counts, the first few named. */
function accounts(item) {
  const more = item.count > item.appids.length ? ` ${t("等", "and more")}` : "";
  return `<span class="mono">${item.appids.map(esc).join(", ")}</span>${more}`;
}

function attention(a) {
  const items = [];
  if (a.refreshTokensRefused.count > 0) {
    items.push(`<li><span class="bad">${t(`${a.refreshTokensRefused.count} 个帐号的刷新令牌已被微信拒绝，需重新授权`, `${a.refreshTokensRefused.count} account(s) whose refresh token WeChat refused: they must authorize again`)}</span>: ${accounts(a.refreshTokensRefused)}</li>`);
  }
  if (a.auditsRejected.count > 0) {
    items.push(`<li><span class="bad">${t(`${a.auditsRejected.count} 个小程序最近一次代码审核被驳回`, `${a.auditsRejected.count} mini program(s) whose latest code audit was rejected`)}</span>: ${accounts(a.auditsRejected)}</li>`);
  }
  const failed = a.authorizationsFailed;
  if (failed.count > 0) {
    const rows = failed.latest.map(f => `<li><span class="mono">${esc(f.appid)}</span> · ${esc(f.step === "exchange" ? t("授权码换取失败", "code exchange failed") : t("帐号信息获取失败", "account details failed"))} · <span class="mono">${esc(f.error)}</span></li>`).join("");
    items.push(`<li id="o-failed-authorizations"><span class="bad">${t(`${failed.count} 个帐号的授权未能完成，需重新授权`, `${failed.count} account(s) whose authorization could not be completed: they must authorize again`)}</span><ul>${rows}</ul></li>`);
  }
  if (!items.length) return `<p class="ok">${t("暂无需要处理的事项", "Nothing needs attention")}</p>`;
  return `<ul class="ov-attention">${items.join("")}</ul>`;
}

function render(d) {
  const ticket = $("o-ticket-age");
  ticket.textContent = d.ticket.present ? duration(d.ticket.ageSecs) : t("尚未收到", "None received yet");
  const stale = !d.ticket.present || d.ticket.ageSecs > TICKET_WARN_SECS;
  ticket.classList.toggle("ov-warn", stale);
  $("o-ticket-note").textContent = stale
    ? t("超过 15 分钟未收到新 ticket（微信每 10 分钟推送一次），请检查授权事件接收 URL", "No new ticket for over 15 minutes (WeChat pushes one every 10): check the authorization event URL")
    : t("微信每 10 分钟推送一次", "WeChat pushes one every 10 minutes");
  $("o-component-appid").textContent = d.componentAppid || "-";
  const token = d.componentToken;
  $("o-token-expiry").textContent = token.present
    ? (token.expiresInSecs > 0
      ? `${time(token.expiresAt)} (${t("剩余", "in")} ${duration(token.expiresInSecs)})`
      : `${time(token.expiresAt)} (${t("已过期", "expired")})`)
    : t("尚未获取", "Not fetched yet");
  $("o-token-expiry").classList.toggle("ov-warn", !token.present || token.expiresInSecs <= 0);
  $("o-official").textContent = String(d.authorizers.officialAccounts);
  $("o-mini").textContent = String(d.authorizers.miniPrograms);
  $("o-push-hour").textContent = String(d.pushes.lastHour);
  $("o-push-day").textContent = String(d.pushes.lastDay);
  $("o-chart").innerHTML = chart(d.pushes.hourly, d.pushes.hourlyStart);
  $("o-refusals").textContent = String(d.refusals.lastHour);
  $("o-refusals").classList.toggle("ov-warn", d.refusals.lastHour > 0);
  $("o-refusals-day").textContent = String(d.refusals.lastDay);
  $("o-services").innerHTML = d.gateways.length
    ? d.gateways.map(gateway).join("")
    : `<p class="muted">${t("尚无网关上报（网关每次拉取路由时上报各服务的健康状况）", "No gateway has reported yet (a gateway reports its services' health with each route poll)")}</p>`;
  $("o-attention").innerHTML = attention(d.attention);
}

export default async function overview(el) {
  el.innerHTML = `
    <section><div class="row"><h2 class="grow">${t("平台", "Platform")}</h2><button class="plain" id="o-reload">${t("刷新", "Refresh")}</button></div>
      <div class="ov-figures">
        <div class="ov-figure"><div class="muted">${t("第三方平台 appid", "Component appid")}</div><div id="o-component-appid" class="ov-value mono"></div></div>
        <div class="ov-figure"><div class="muted">${t("ticket 收到至今", "Ticket age")}</div><div id="o-ticket-age" class="ov-value"></div><div id="o-ticket-note" class="ov-note muted"></div></div>
        <div class="ov-figure"><div class="muted">${t("component_access_token 过期时间", "Component token expires")}</div><div id="o-token-expiry" class="ov-value"></div></div>
        <div class="ov-figure"><div class="muted">${t("已授权公众号", "Official accounts")}</div><div id="o-official" class="ov-value"></div></div>
        <div class="ov-figure"><div class="muted">${t("已授权小程序", "Mini programs")}</div><div id="o-mini" class="ov-value"></div></div>
      </div></section>
    <section><h2>${t("推送", "Pushes")}</h2>
      <div class="ov-figures">
        <div class="ov-figure"><div class="muted">${t("最近 1 小时", "Last hour")}</div><div id="o-push-hour" class="ov-value"></div></div>
        <div class="ov-figure"><div class="muted">${t("最近 24 小时", "Last 24 hours")}</div><div id="o-push-day" class="ov-value"></div></div>
        <div class="ov-figure"><div class="muted">${t("最近 1 小时拒收（签名或解密失败）", "Refused in the last hour (bad signature or decryption)")}</div><div id="o-refusals" class="ov-value"></div>
          <div class="ov-note muted">${t("24 小时内", "In 24 hours")}: <span id="o-refusals-day"></span></div></div>
      </div>
      <div id="o-chart" class="ov-chart-box"></div></section>
    <section><h2>${t("服务健康（网关视角）", "Services' health (as the gateway sees it)")}</h2><div id="o-services" class="muted">${t("加载中…", "Loading…")}</div></section>
    <section><h2>${t("待处理", "Needs attention")}</h2><div id="o-attention" class="muted">${t("加载中…", "Loading…")}</div></section>`;
  const load = async () => {
    try {
      render(await api("GET", "/admin/overview"));
    } catch (_) { /* toast shown */ }
  };
  $("o-reload").onclick = load;
  await load();
}
