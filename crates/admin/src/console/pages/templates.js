// 模板库: the 草稿箱 and the template library.
import { $, esc, time, toast, api, table } from "../lib.js";

export default async function templates(el) {
  el.innerHTML = `<section><h2>草稿箱</h2><p class="muted">开发小程序用微信开发者工具上传的代码；添加到模板库后可提交给授权的小程序。</p><div id="d-list">加载中…</div></section>
    <section><h2>模板库</h2><div id="m-list">加载中…</div></section>`;
  const load = async () => {
    const [drafts, library] = await Promise.all([api("GET", "/admin/draft-list"), api("GET", "/admin/template-list")]);
    $("d-list").innerHTML = table([
      ["草稿 ID", r => esc(r.draftId)], ["版本", r => esc(r.userVersion)], ["描述", r => esc(r.userDesc)], ["上传时间", r => esc(time(r.createTime))],
      ["", r => `<button class="plain" data-add="${esc(r.draftId)}" data-type="0">添加为普通模板</button> <button class="plain" data-add="${esc(r.draftId)}" data-type="1">添加为标准模板</button>`],
    ], drafts.draftList);
    $("m-list").innerHTML = table([
      ["模板 ID", r => esc(r.templateId)], ["版本", r => esc(r.userVersion)], ["描述", r => esc(r.userDesc)],
      ["类型", r => r.templateType === 1 ? "标准" : "普通"], ["来源小程序", r => esc(r.sourceMiniprogram)], ["创建时间", r => esc(time(r.createTime))],
      ["", r => `<button class="plain" data-del-template="${esc(r.templateId)}">删除</button>`],
    ], library.templateList);
    el.querySelectorAll("[data-add]").forEach(b => b.onclick = async () => {
      await api("POST", "/admin/add-to-template", {draftId: Number(b.dataset.add), templateType: Number(b.dataset.type)});
      toast("已添加到模板库"); load().catch(() => {});
    });
    el.querySelectorAll("[data-del-template]").forEach(b => b.onclick = async () => {
      if (!confirm("删除该模板？")) return;
      await api("POST", "/admin/delete-template", {templateId: Number(b.dataset.delTemplate)});
      toast("已删除"); load().catch(() => {});
    });
  };
  load().catch(() => {});
}
