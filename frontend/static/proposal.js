// The proposal form warns about likely duplicates while the name is typed: it asks the page's
// own endpoint and shows the same warning the form shows after sending. Without JavaScript the
// check runs when the form is sent.
(function () {
  "use strict";
  var form = document.querySelector("form[data-duplicate-check]");
  if (!form || !window.fetch || !window.DOMParser) { return; }
  var endpoint = form.getAttribute("data-duplicate-check");
  var status = document.getElementById("lignende-status");
  var timer = null;
  var latest = 0;
  var asked = null;

  function value(name) {
    var field = form.elements.namedItem(name);
    return field && field.value ? field.value.trim() : "";
  }

  function check() {
    var params = new URLSearchParams();
    params.set("name", value("name"));
    params.set("url", value("url"));
    params.set("vendor.name", value("vendor.name"));
    var box = form.elements.namedItem("ikke_duplikat");
    if (box && box.checked) { params.set("ikke_duplikat", "ja"); }
    var query = params.toString();
    if (query === asked) { return; }
    asked = query;
    var ticket = ++latest;
    fetch(endpoint + "?" + query, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || ticket !== latest) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("lignende");
        var target = document.getElementById("lignende");
        if (!fresh || !target) { return; }
        var count = parseInt(fresh.getAttribute("data-count"), 10) || 0;
        var before = parseInt(target.getAttribute("data-count"), 10) || 0;
        target.replaceWith(document.importNode(fresh, true));
        if (status && count !== before) {
          status.textContent = count === 0 ? "" : count + (count === 1 ? " læremiddel ligner" : " læremidler ligner") +
            " på det du foreslår.";
        }
      })
      .catch(function () { /* the check on sending still runs */ });
  }

  form.addEventListener("input", function (event) {
    if (event.target && ["name", "url", "vendor.name"].indexOf(event.target.name) !== -1) {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 300);
    }
  });
})();
