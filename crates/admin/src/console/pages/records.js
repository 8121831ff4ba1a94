// 推送记录: both push record kinds with their filters.
import { $, esc, time, api, table } from "../lib.js";

export default async function records(el) {
  el.innerHTML = `<section><h2>推送记录</h2>
    <div class="row"><select id="r-kind"><option value="component">授权事件 (wx-component-records)</option><option value="biz">消息与事件 (wx-biz-records)</option></select>
    <input id="r-filter1" placeholder="infoType / appid" size="22"><input id="r-filter2" placeholder="msgType" size="10"><input id="r-filter3" placeholder="event" size="12">
    <input id="r-days" type="number" value="7" min="1" style="width:70px"> 天内 <button class="primary" id="r-go">查询</button></div><div id="r-list"></div></section>`;
  const go = async () => {
    const biz = $("r-kind").value === "biz";
    const now = Math.floor(Date.now() / 1000);
    const query = {startTime: now - Number($("r-days").value || 7) * 86400, endTime: now, offset: 0, limit: 50};
    if (biz) Object.assign(query, {appid: $("r-filter1").value.trim(), msgType: $("r-filter2").value.trim(), event: $("r-filter3").value.trim()});
    else query.infoType = $("r-filter1").value.trim();
    const d = await api("GET", biz ? "/admin/wx-biz-records" : "/admin/wx-component-records", undefined, query);
    $("r-list").innerHTML = `<p class="muted">共 ${d.total} 条（显示最新 50 条）</p>` + table(biz ? [
      ["接收时间", r => esc(time(r.receiveTime))], ["appid", r => esc(r.appid)], ["msgType", r => esc(r.msgType)],
      ["event", r => esc(r.event)], ["内容", r => `<pre class="mono">${esc(r.postBody)}</pre>`],
    ] : [
      ["接收时间", r => esc(time(r.receiveTime))], ["infoType", r => esc(r.infoType)], ["内容", r => `<pre class="mono">${esc(r.postBody)}</pre>`],
    ], d.records);
  };
  $("r-go").onclick = () => go().catch(() => {});
  go().catch(() => {});
}
