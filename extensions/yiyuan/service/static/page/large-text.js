// Yiyuan 艺苑: the 大字 (large text) switch in a page's header.
//
// A press switches the whole page at once (the class ``large-text`` on <html>: the page's sizes
// are in rem and em, so everything grows with the root) and keeps the choice on the person's
// account (POST api/me/preferences), so every page they open, on any device, starts with it.
(function () {
  "use strict";
  var NOT_SAVED = "大字设置没有保存成功：本页已切换，下次打开时会恢复原样，请稍后再试。";

  function xsrf() {
    var match = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setUp(button) {
    var status = document.getElementById(button.getAttribute("data-status") || "");
    var saved = Promise.resolve(); // one save after another: the last press wins
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      document.documentElement.classList.toggle("large-text", on);
      document.querySelectorAll("button[data-large-text]").forEach(function (each) {
        each.setAttribute("aria-pressed", on ? "true" : "false");
      });
      if (status) status.textContent = "";
      saved = saved.then(function () {
        return fetch(button.getAttribute("data-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-XSRFToken": xsrf() },
          body: JSON.stringify({ large_text: on }),
        })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
          })
          .catch(function () {
            if (status) status.textContent = NOT_SAVED;
          });
      });
    });
  }

  document.querySelectorAll("button[data-large-text]").forEach(setUp);
})();
