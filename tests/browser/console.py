"""The admin console in a real browser (Debian's chromium through chromedriver),
used as an operator would, against the real stack with wxsim playing WeChat:
a wrong password refused; login; every page opened; the overview's figures;
the tokens; an official account authorized through a link the console
generated, then found among the accounts; push records listed and filtered;
a forward rule added, tested against a real HTTP server, switched off and
deleted; a proxy route added and answering through the gateway; a draft made
a template and deleted; one mini program released with domains, privacy guide
and a tester; a release campaign over a few simulated mini programs run to
the end; the password changed and used to log in again; the English switch.

Each step saves a screenshot at a 1280 px desktop and a 390 px phone width
under target/browser/ and fails on any error in the browser's console.

Usage: console.py <base-url> <username> <password> <wxsim-url> <component-appid>
(the stack must have received a component_verify_ticket)."""

import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "target", "browser")
DESKTOP = (1280, 900)
PHONE = (390, 844)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Console:
    """The browser, the stack's addresses and what the steps share."""

    def __init__(self, base, username, password, sim, component_appid):
        self.base, self.username, self.password = base, username, password
        self.sim, self.component_appid = sim, component_appid
        self.driver = browser()
        self.driver.set_window_size(*DESKTOP)
        # Views re-render their tables: an element found a moment ago may be gone.
        self.wait = WebDriverWait(
            self.driver, 30, ignored_exceptions=(StaleElementReferenceException,)
        )
        self.shot = 0

    # -- what every step uses ------------------------------------------------

    def errors(self):
        """The browser console's errors since the last call (script errors,
        failed loads, CSP refusals). Refusals the API answered are toasts,
        not errors."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def finish(self, name):
        """After a step: no console error, and a screenshot at both widths."""
        os.makedirs(SHOTS, exist_ok=True)
        self.shot += 1
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.driver.set_window_size(*size)
            time.sleep(0.3)
            path = os.path.join(SHOTS, f"{self.shot:02d}-{name}-{label}.png")
            assert self.driver.save_screenshot(path), path
        self.driver.set_window_size(*DESKTOP)
        errors = self.errors()
        assert not errors, f"{name}: console errors {errors}"
        print(f"ok  {name}")

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text.strip()

    def type(self, element_id, value):
        box = self.driver.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(value)

    def click(self, element_id):
        self.driver.find_element(By.ID, element_id).click()

    def tab(self, name):
        self.find(f'#tabs button[data-tab="{name}"]').click()

    def until(self, check, what):
        try:
            return self.wait.until(lambda d: check())
        except Exception as e:
            raise AssertionError(f"waited for {what}") from e

    def toast_says(self, text):
        return text in self.text("toast")

    def accept_confirm(self):
        self.wait.until(ec.alert_is_present())
        self.driver.switch_to.alert.accept()

    def eventually(self, reopen, check, what, seconds=30):
        """Reopens a page until `check` holds: what it shows arrives in the
        background (a push, a poll)."""
        deadline = time.time() + seconds
        while True:
            reopen()
            try:
                if check():
                    return
            except StaleElementReferenceException:
                pass
            assert time.time() < deadline, f"never shown: {what}"
            time.sleep(1)

    def sim_call(self, path, body=None):
        request = urllib.request.Request(
            self.sim + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def get(self, url):
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()

    def log_in(self, password):
        self.driver.get(self.base + "/")
        self.wait.until(ec.visibility_of_element_located((By.ID, "username")))
        self.type("username", self.username)
        self.type("password", password)
        # The keyboard is enough: Enter in the password field logs in.
        self.driver.find_element(By.ID, "password").send_keys(Keys.ENTER)


# -- the steps, in the order an operator meets them ---------------------------


def a_wrong_password_is_refused(c):
    c.log_in("definitely-wrong")
    c.until(lambda: c.text("toast") != "", "the refusal")
    assert not c.driver.find_element(By.ID, "app").is_displayed(), "wrong password logged in"
    print("    refused:", c.text("toast"))
    c.driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")


def the_operator_logs_in(c):
    c.log_in(c.password)
    c.wait.until(ec.visibility_of_element_located((By.ID, "app")))
    c.until(lambda: c.username in c.text("who"), "the account name in the header")


def every_page_renders(c):
    names = [b.get_attribute("data-tab") for b in c.driver.find_elements(By.CSS_SELECTOR, "#tabs button")]
    assert names[0] == "overview", f"the overview comes first: {names}"
    for name in names:
        c.tab(name)
        c.until(lambda: c.text("view") != "", f"page {name}")
        time.sleep(0.5)
        errors = c.errors()
        assert not errors, f"page {name}: {errors}"
    print("    pages:", ", ".join(names))


def the_overview_shows_the_platform(c):
    c.eventually(
        lambda: c.tab("overview"),
        lambda: c.text("o-push-day") not in ("", "-", "0") and c.text("o-component-appid") != "",
        "the overview's figures",
    )
    assert c.text("o-component-appid") == c.component_appid, c.text("o-component-appid")
    age = c.text("o-ticket-age")
    assert age and "-" != age, f"ticket age: {age!r}"
    assert int(c.text("o-push-day")) >= 1, "the ticket push is counted"
    assert c.driver.find_elements(By.CSS_SELECTOR, "#o-chart svg rect"), "the 24-hour chart"
    services = c.text("o-services")
    for service in ("callback", "admin", "business"):
        assert service in services, f"{service} in {services!r}"
    print("    ticket age", age, "· pushes today", c.text("o-push-day"), "·", services.replace("\n", " | "))


def the_tokens_are_shown_masked_and_copied_whole(c):
    masked = re.compile(r"^\S{6}…\S{4}$")

    def shown():
        return all(masked.match(c.text(i)) for i in ("t-ticket", "t-component"))

    c.eventually(lambda: c.tab("tokens"), shown, "the ticket and the component token, masked")
    # The whole value never reaches the page, only the clipboard.
    jwt = c.driver.execute_script("return localStorage.getItem('token')")
    request = urllib.request.Request(
        c.base + "/wxcomponent/admin/component-access-token", headers={"Authorization": "Bearer " + jwt}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        token = json.load(answer)["data"]["token"]
    shown = c.text("t-component")
    assert shown.startswith(token[:6]) and shown.endswith(token[-4:]), (shown, token[:6])
    assert token not in c.driver.page_source, "the whole token is in the page"
    c.click("t-component-copy")
    c.until(lambda: c.text("toast") != "", "the copy confirmed")


def an_account_authorized_through_a_link_is_found(c):
    appid = "wxbrowserofficl01"
    c.tab("links")
    c.until(lambda: c.driver.find_elements(By.ID, "l-go"), "the links page")
    Select(c.driver.find_element(By.ID, "l-type")).select_by_value("1")
    c.click("l-go")
    c.until(lambda: c.driver.find_elements(By.CSS_SELECTOR, "#l-pc"), "the PC link")
    link = c.text("l-pc")
    assert "componentloginpage" in link and "auth_type=1" in link, link
    assert c.driver.find_elements(By.CSS_SELECTOR, "#l-out svg"), "the link's QR code"
    # The administrator opens the link and confirms in WeChat: wxsim plays it.
    done = c.sim_call("/__sim/authorize", {"url": link, "authorizer_appid": appid, "is_mini_program": False})
    assert done.get("authorizer_appid") == appid, done

    def listed():
        c.type("a-search-text", appid)
        c.click("a-search")
        c.until(lambda: c.text("a-list") not in ("", "加载中…"), "the accounts list")
        return appid in c.text("a-list")

    c.eventually(lambda: c.tab("authorizers"), listed, f"{appid} among the accounts")
    row = [r for r in c.driver.find_elements(By.CSS_SELECTOR, "#a-list tr") if appid in r.text][0]
    assert "公众号" in row.text, row.text
    print("    found:", row.text.replace("\n", " | "))


def push_records_are_listed_and_filtered(c):
    appid = "wxbrowserofficl01"
    sent = c.sim_call("/__sim/message", {"appid": appid, "msg_type": "text", "content": "浏览器测试"})
    assert sent.get("appid") == appid, sent
    c.tab("records")
    c.until(lambda: "component_verify_ticket" in c.text("r-list"), "the ticket push")
    c.type("r-info", "authorized")
    c.click("r-go")
    c.until(lambda: "component_verify_ticket" not in c.text("r-list"), "the filter applied")
    assert "authorized" in c.text("r-list"), c.text("r-list")

    Select(c.driver.find_element(By.ID, "r-kind")).select_by_value("biz")
    c.type("r-appid", appid)
    c.type("r-msgtype", "text")

    def found():
        c.click("r-go")
        time.sleep(0.5)
        return appid in c.text("r-list")

    c.eventually(lambda: None, found, "the text message among the records")
    rows = c.driver.find_elements(By.CSS_SELECTOR, "#r-list tr")[1:]
    assert rows and all(appid in r.text and "text" in r.text for r in rows), [r.text for r in rows]
    # The body pretty-printed (one element per line), opened, with a copy button.
    c.find("#r-body-0 summary").click()
    body = c.text("r-body-0")
    assert "浏览器测试" in body and "\n" in body, body
    c.click("r-copy-0")
    c.until(lambda: c.text("toast") != "", "the copy confirmed")


class Target:
    """A real HTTP server a forward rule points at: answers `success` and
    keeps what it received."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.append((self.path, self.rfile.read(length).decode()))
                body = b"success"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def a_forward_rule_is_added_tested_switched_off_and_deleted(c):
    target = Target()
    try:
        name = "browser-rule"

        def rows():
            return [r for r in c.driver.find_elements(By.CSS_SELECTOR, "#f-list tr") if name in r.text]

        c.tab("rules")
        c.until(lambda: c.driver.find_elements(By.ID, "f-add"), "the rules page")
        c.type("f-name", name)
        c.type("f-msg", "text")
        c.type("f-url", f"http://127.0.0.1:{target.port}")
        c.type("f-path", "/hook/$APPID$")
        Select(c.driver.find_element(By.ID, "f-format")).select_by_value("xml")
        c.click("f-add")
        c.until(lambda: len(rows()) == 1, "the rule listed")
        row = rows()[0].text
        assert f"http://127.0.0.1:{target.port}/hook/$APPID$" in row and "XML" in row and "开启" in row, row

        rows()[0].find_element(By.CSS_SELECTOR, "[data-test]").click()
        c.until(lambda: c.toast_says("success"), "the target's reply")
        assert target.received and target.received[-1][0].startswith("/hook/"), target.received
        assert "<MsgType><![CDATA[text]]></MsgType>" in target.received[-1][1], target.received[-1][1]

        rows()[0].find_element(By.CSS_SELECTOR, "[data-toggle]").click()
        c.until(lambda: "关闭" in rows()[0].find_elements(By.TAG_NAME, "td")[-2].text, "the rule off")

        rows()[0].find_element(By.CSS_SELECTOR, "[data-del]").click()
        c.accept_confirm()
        c.until(lambda: not rows(), "the rule gone")
    finally:
        target.close()


def a_proxy_route_is_added_and_answers_through_the_gateway(c):
    c.tab("proxy")
    c.until(lambda: c.driver.find_elements(By.ID, "p-add"), "the proxy page")
    c.type("p-prefix", "/browser-shop/")
    c.type("p-upstream", "business")
    c.driver.find_element(By.ID, "p-strip").click()
    c.click("p-add")
    c.until(lambda: "/browser-shop/" in c.text("p-list"), "the route listed")
    # The gateway polls the admin's routes: the new prefix reaches business.
    deadline = time.time() + 30
    while True:
        try:
            status, body = c.get(c.base + "/browser-shop/api/count")
            if status == 200 and '"code":0' in body:
                break
        except Exception:
            pass
        assert time.time() < deadline, "the gateway never routed /browser-shop/"
        time.sleep(1)
    print("    /browser-shop/api/count →", body)


def a_draft_becomes_a_template_and_is_deleted(c):
    def rows(version):
        return [r for r in c.driver.find_elements(By.CSS_SELECTOR, "#m-list tr") if version in r.text]

    c.tab("templates")
    # wxsim's 草稿箱 holds one draft, version 2.1.0; the library three templates.
    c.until(lambda: "2.1.0" in c.text("d-list"), "the draft")
    c.until(lambda: "1.0.0" in c.text("m-list"), "the templates")
    assert not rows("2.1.0"), "no template from the draft yet"
    c.find('#d-list [data-add][data-type="1"]').click()
    c.until(lambda: len(rows("2.1.0")) == 1, "the new template")
    assert "标准" in rows("2.1.0")[0].text
    rows("2.1.0")[0].find_element(By.CSS_SELECTOR, "[data-del-template]").click()
    c.accept_confirm()
    c.until(lambda: not rows("2.1.0"), "the template gone")


def open_mini_program(c, appid):
    c.tab("miniprograms")
    c.until(lambda: appid in c.text("w-list"), f"{appid} listed")
    c.find(f'[data-manage="{appid}"]').click()
    c.until(lambda: "体验版" in c.text("v-info"), "the versions")


def a_mini_program_is_released_with_domains_and_privacy_guide(c):
    appid = "wxbrowsermini0001"
    code = c.sim_call("/__sim/preauthcode", {})["pre_auth_code"]
    c.sim_call("/__sim/authorize", {"pre_auth_code": code, "authorizer_appid": appid, "is_mini_program": True})

    def listed():
        c.until(lambda: c.text("w-list") not in ("", "加载中…"), "the mini programs")
        return appid in c.text("w-list")

    c.eventually(lambda: c.tab("miniprograms"), listed, f"{appid} among the mini programs")

    c.type("pd-server-in", "api.example.com")
    c.click("pd-server-pub")
    c.click("pd-server-go")
    c.until(lambda: "api.example.com" in c.text("pd-server"), "the platform's server domain")

    open_mini_program(c, appid)
    Select(c.driver.find_element(By.ID, "v-template")).select_by_value("2")
    c.type("v-version", "1.1.0")
    c.type("v-desc", "browser")
    c.click("v-commit")
    c.until(lambda: "1.1.0" in c.text("v-info"), "the committed code")

    open_mini_program(c, appid)
    c.type("sd-requestDomain", "https://api.example.com")
    c.click("sd-save")
    c.accept_confirm()
    c.until(lambda: "https://api.example.com" in c.text("sd-effective"), "the effective domain")

    c.until(lambda: "代码用到的隐私接口" in c.text("pv-code"), "the code's privacy keys")
    fields = c.driver.find_elements(By.CSS_SELECTOR, "#pv-settings .pv-text")
    assert fields, "the code's privacy keys are listed"
    for field in fields:
        field.send_keys("为会员提供服务")
    c.type("pv-email", "ops@example.com")
    c.type("pv-notice", "弹窗")
    c.click("pv-save")
    c.until(lambda: c.toast_says("隐私保护指引已保存"), "the guide saved")

    c.sim_call("/__sim/wechat-users", {"wechatid": "browser_tester"})
    c.type("t-wechatid", "browser_tester")
    c.click("t-bind")
    c.until(lambda: c.driver.find_elements(By.CSS_SELECTOR, "#t-list [data-unbind]"), "the tester")

    c.click("v-submit")
    c.until(lambda: "审核中" in c.text("v-audit"), "the audit")
    decided = c.sim_call("/__sim/wxa/audit", {"appid": appid, "status": 0})
    assert decided.get("errcode") == 0, decided
    c.click("v-release")
    c.accept_confirm()
    c.until(lambda: c.toast_says("已发布"), "the release")
    c.until(lambda: "1.1.0" in c.text("v-info").split("线上版")[-1], "the released version")


def a_release_campaign_runs_to_the_end(c):
    bulk = c.sim_call("/__sim/authorize/bulk", {"count": 3, "prefix": "wxbrowsercamp"})
    appids = bulk["authorizer_appids"]
    c.sim_call("/__sim/wxa/reviewer", {"policy": "approve", "appids": appids})
    # The operator pulls the new accounts from WeChat.
    c.tab("authorizers")
    c.until(lambda: c.driver.find_elements(By.ID, "a-pull"), "the pull button")
    c.click("a-pull")
    c.until(lambda: c.toast_says("已拉取"), "the pull's result")

    c.tab("campaigns")
    c.until(lambda: c.driver.find_elements(By.CSS_SELECTOR, '#c-template option[value="2"]'), "the templates")
    Select(c.driver.find_element(By.ID, "c-template")).select_by_value("2")
    c.type("c-version", "3.0.0")
    c.type("c-desc", "浏览器批量发版")
    c.type("c-appids", "\n".join(appids))
    c.type("c-request", "https://api.example.com")
    c.type("c-privacy-keys", "UserInfo;Location")
    c.type("c-privacy-text", "为会员提供服务")
    c.type("c-contact", "ops@example.com")
    c.click("c-create")
    c.accept_confirm()
    c.until(lambda: c.toast_says("已创建批量发版"), "the campaign created")

    def finished():
        c.click("cd-refresh")
        time.sleep(0.5)
        return "已结束" in c.text("cd-head")

    c.eventually(lambda: None, finished, "the campaign finished", seconds=120)
    head = c.text("cd-head")
    assert "已发布 3" in head and "失败 0" in head, head
    rows = [r.text for r in c.driver.find_elements(By.CSS_SELECTOR, "#cd-accounts tr")][1:]
    assert len(rows) == 3 and all("已发布" in r for r in rows), rows
    print("    campaign:", head)


def the_password_is_changed_and_used_to_log_in(c):
    new = c.password + "-changed"
    c.tab("settings")
    c.until(lambda: c.driver.find_elements(By.ID, "u-pwd"), "the settings page")
    c.type("u-old", c.password)
    c.type("u-new", new)
    c.type("u-new2", new)
    c.click("u-pwd")
    c.until(lambda: c.driver.find_element(By.ID, "login").is_displayed(), "signed out")
    c.log_in(c.password)
    c.until(lambda: c.text("toast") != "", "the old password refused")
    assert not c.driver.find_element(By.ID, "app").is_displayed(), "the old password still works"
    c.log_in(new)
    c.wait.until(ec.visibility_of_element_located((By.ID, "app")))
    c.password = new


def the_console_speaks_english(c):
    c.find("header .lang-switch").click()
    c.wait.until(ec.visibility_of_element_located((By.ID, "app")))
    c.until(lambda: "Overview" in c.text("tabs"), "English tab names")
    c.until(lambda: c.text("view") != "", "a page in English")
    assert "Sign out" in c.text("logout")
    c.find("header .lang-switch").click()
    c.until(lambda: "概览" in c.text("tabs"), "back to Chinese")


STEPS = [
    a_wrong_password_is_refused,
    the_operator_logs_in,
    every_page_renders,
    the_overview_shows_the_platform,
    the_tokens_are_shown_masked_and_copied_whole,
    an_account_authorized_through_a_link_is_found,
    push_records_are_listed_and_filtered,
    a_forward_rule_is_added_tested_switched_off_and_deleted,
    a_proxy_route_is_added_and_answers_through_the_gateway,
    a_draft_becomes_a_template_and_is_deleted,
    a_mini_program_is_released_with_domains_and_privacy_guide,
    a_release_campaign_runs_to_the_end,
    the_password_is_changed_and_used_to_log_in,
    the_console_speaks_english,
]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    base, username, password, sim, component_appid = sys.argv[1:]
    c = Console(base.rstrip("/"), username, password, sim.rstrip("/"), component_appid)
    try:
        for step in STEPS:
            step(c)
            c.finish(step.__name__)
        print(f"browser tests passed; screenshots in {os.path.normpath(SHOTS)}")
    finally:
        c.driver.quit()


if __name__ == "__main__":
    main()
